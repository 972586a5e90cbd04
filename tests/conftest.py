"""Shared fixtures. The suite runs on SQLite, and on PostgreSQL when
GATEWAY_TEST_DATABASE_URL names one (``scripts/test`` runs both)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer
from sqlalchemy import text

from gateway.clock import FixedClock
from gateway.db import Base, Database
from gateway.keyring import init_keys
from gateway.runtime import Runtime

PG_URL = os.environ.get("GATEWAY_TEST_DATABASE_URL", "")
S3_REGION = "us-east-1"
START = datetime(2020, 6, 26, 17, 0, tzinfo=UTC)


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {'PostgreSQL ' + PG_URL.rsplit('@', 1)[-1] if PG_URL else 'SQLite'}"


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str | None]:
    """On PostgreSQL the schema is created once; each test empties the tables."""
    if not PG_URL:
        yield None
        return
    db = Database(PG_URL)
    import gateway.models  # noqa: F401

    Base.metadata.drop_all(db.engine)
    Base.metadata.create_all(db.engine)
    db.dispose()
    yield PG_URL


def _empty_tables(url: str) -> None:
    db = Database(url)
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.dispose()


@pytest.fixture
def settings(tmp_path: Path, pg_schema: str | None) -> dict[str, Any]:
    from gateway.config import load_settings

    keys = tmp_path / "keys"
    init_keys(keys)
    if pg_schema:
        _empty_tables(pg_schema)
        url = pg_schema
    else:
        url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    return load_settings(
        {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "KEYS_PATH": str(keys),
            "DATABASE_URL": url,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_KIB": 8192,
            "ARGON2_PARALLELISM": 1,
        },
        environ={},
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def rt(settings: dict[str, Any], clock: FixedClock, pg_schema: str | None) -> Iterator[Runtime]:
    runtime = Runtime(settings, clock=clock)
    if not pg_schema:
        runtime.db.create_all()
    yield runtime
    runtime.close()


@pytest.fixture
def demo(rt: Runtime) -> int:
    from gateway.demo import load_demo

    return load_demo(rt, say=lambda _line: None)


@pytest.fixture
def app(rt: Runtime) -> Any:
    from gateway import create_app

    application = create_app(rt.settings, runtime=rt)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


# S3 is moto's server: the one stand-in allowed, since no real S3 runs on these machines.


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of an in-process moto S3 server, with fake credentials in the environment."""
    absent = tmp_path_factory.mktemp("aws") / "absent"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", S3_REGION)
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        # Never pick up a developer's real profile or credentials.
        env.setenv("AWS_CONFIG_FILE", str(absent))
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(absent))
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            env.delenv(name, raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture(scope="session")
def s3_client(moto_endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name=S3_REGION,
        config=Config(s3={"addressing_style": "path"}),
    )


@pytest.fixture
def s3_bucket(s3_client: Any) -> Iterator[str]:
    """A fresh, empty bucket, emptied and removed afterwards to keep moto's memory small."""
    bucket = f"test-{uuid.uuid4().hex}"
    s3_client.create_bucket(Bucket=bucket)
    yield bucket
    for upload in s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        s3_client.abort_multipart_upload(
            Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
        )
    for item in s3_client.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3_client.delete_object(Bucket=bucket, Key=item["Key"])
    s3_client.delete_bucket(Bucket=bucket)
