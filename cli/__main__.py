"""``python -m cli`` runs the pmhub command line."""

from cli.main import app

app()
