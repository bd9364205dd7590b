"""``python -m hub`` runs the pmhub command line."""

from hub.cli import app

app()
