"""How alembic runs pmhub's revisions: on the connection :mod:`sync.store.migrations` hands over, in its transaction."""

from alembic import context

from sync.store.tables import metadata

context.configure(connection=context.config.attributes["connection"], target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
