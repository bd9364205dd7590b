"""The GitHub connector: issues, pull requests, milestones, releases and CI checks of configured repositories.

``config`` (the pmhub.toml section), ``client`` (PyGithub's requester under pmhub's retry policy, raw JSON pages,
write-back), ``mapping`` (pure payload → record functions), ``webhooks`` (what a delivery changes, through the same
mapping) and ``source`` (the streams, their cursors and census).
"""
