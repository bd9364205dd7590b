"""The GitHub sandbox: REST API, admin API and webhooks over the seeded world (entry: ``app.create_app``)."""
