"""Every conversation with an outside tool: Jira, GitHub, analytics (reading) and notifications (writing).

Each source exposes streams (``connectors.base``); mapping from raw payloads to schema records is pure, so a mapping
fix can be replayed over stored raw payloads.
"""
