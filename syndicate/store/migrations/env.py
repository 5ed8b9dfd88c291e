"""Alembic's environment: migrations run on the connection `migrations.upgrade` opened, inside
its transaction, in batch mode (SQLite rebuilds a table to change a constraint)."""

from alembic import context

from syndicate.store import schema

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=schema.metadata,
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
