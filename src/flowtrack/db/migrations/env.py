"""Alembic environment: migrations run on a connection handed over by :mod:`flowtrack.db.migrate`.

``flowtrack.db.migrate.upgrade`` passes an open connection (already holding the migration lock) through
``config.attributes["connection"]``. The ``alembic`` command line also works with
``-x url=sqlite:///path`` or ``sqlalchemy.url`` set in a config file.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from flowtrack.db.engine import get_engine, write_engine

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=config.attributes.get("target_metadata"),
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass -x url=<tracking uri> or set sqlalchemy.url")
    with write_engine(get_engine(url)).connect() as conn:
        _run(conn)
        conn.commit()


if context.is_offline_mode():
    raise RuntimeError("flowtrack migrations run online only")
run_migrations_online()
