from __future__ import annotations

from alembic import context

import gateway.models  # noqa: F401,E402  (registers every table)
from gateway.db import Base, make_engine

config = context.config


def run() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=engine.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()  # a migration that refuses (0017 on a broken chain) closes it too


run()
