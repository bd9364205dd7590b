"""The Jira sandbox (Cloud and Server/DC flavours): ``create_app(world, JiraOptions(...)) -> FastAPI``."""

from sandbox.jira.app import create_app
from sandbox.jira.options import DEFAULT_API_TOKEN, DEFAULT_TIME_ZONES, JiraOptions

__all__ = ["DEFAULT_API_TOKEN", "DEFAULT_TIME_ZONES", "JiraOptions", "create_app"]
