"""Jira Cloud and Server/Data Center: configuration, pure mapping to the unified schema, and the polling source."""
