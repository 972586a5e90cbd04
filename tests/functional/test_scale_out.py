"""Scale-out storage chosen by configuration alone: the same demo, its blobs in S3."""

from __future__ import annotations

import pytest

from gateway import create_app
from gateway.clock import FixedClock
from gateway.demo import load_demo
from gateway.runtime import Runtime
from tests.conftest import START
from tests.helpers import BASE, all_bates, auth, token_for


@pytest.fixture
def s3_runtime(settings, moto_endpoint, s3_bucket, pg_schema):
    configured = {
        **settings,
        "BLOB_BACKEND": "s3",
        "S3_BUCKET": s3_bucket,
        "S3_ENDPOINT_URL": moto_endpoint,
        "S3_REGION": "us-east-1",
        "S3_PREFIX": "gw",
    }
    runtime = Runtime(configured, clock=FixedClock(START))
    if not pg_schema:
        runtime.db.create_all()
    yield runtime
    runtime.close()


def test_demo_served_from_s3(s3_runtime, s3_client, s3_bucket, tmp_path):
    matter_id = load_demo(s3_runtime, say=lambda _line: None)
    objects = s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]
    assert len(objects) == 21 and all(o["Key"].startswith("gw/") for o in objects)
    for obj in objects:
        body = s3_client.get_object(Bucket=s3_bucket, Key=obj["Key"])["Body"].read()
        assert b"%PDF" not in body and b"GENERATED STAND-IN" not in body
    assert not (tmp_path / "instance" / "blobs").exists(), "the file store was used"
    client = create_app(s3_runtime.settings, runtime=s3_runtime).test_client()
    staff = token_for(client, "staff@alotrolado.example")
    assert "AOL-DEF-00528691" not in all_bates(client, staff, matter_id)
    response = client.get(
        f"{BASE}/api/v1/matters/{matter_id}/documents/AOL-DEF-00556923/content", headers=auth(staff)
    )
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
