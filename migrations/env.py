"""Alembic environment: runs against LIF_DATABASE_URL (or a URL passed in by `lif migrate`)."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlmodel import SQLModel

import service.models  # noqa: F401  (registers every table)
from service.config import get_settings
from service.db.engine import get_engine

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata
MIGRATION_LOCK = 772200  # advisory lock key; diagram registration uses 772201


def _url() -> str:
    return str(config.attributes.get("database_url") or get_settings().database_url)


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = get_engine(_url())
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.driver_connection if sqlite else None
        if raw is not None:
            # SQLite alters a table by rebuilding it (batch mode), and dropping the old copy would trip the foreign
            # keys that point at it. SQLite's own procedure: keys off outside the transaction, rebuild, then check
            # every key before going on (https://www.sqlite.org/lang_altertable.html, "other kinds of changes").
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection, target_metadata=target_metadata, render_as_batch=sqlite, compare_type=True
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    # Several `lif serve` processes may start together on one database: one migrates, the others
                    # wait, then find it at head (held until this transaction ends).
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                context.run_migrations()
                if raw is not None:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration left foreign keys pointing nowhere: {broken[:5]}")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
