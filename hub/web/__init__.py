"""The web app: webhook receiver (``/webhooks/github``, ``/webhooks/jira``) and the PM status page.

``create_app(settings, store)`` builds it (:mod:`hub.web.app`); ``register.plan_registrations`` prepares the
webhook registrations that point Jira and GitHub at it.
"""
