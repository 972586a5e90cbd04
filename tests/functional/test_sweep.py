"""Blobs left by an ingest killed midway are swept; nothing in use, nothing young."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from gateway.audit.events import Actor
from gateway.documents.sweep import sweep_orphans
from gateway.errors import Invalid
from tests.conftest import START
from tests.helpers import BASE, auth, token_for


def _age(rt, key, age):
    path = rt.settings["INSTANCE_PATH"] / "blobs" / f"{key}.blob"
    stamp = (START - age).timestamp()
    os.utime(path, (stamp, stamp))


def test_sweep_removes_only_old_unreferenced_blobs(rt, demo, client):
    store = rt.blobs.store
    in_use = sorted(store.iter_keys("m/"))
    for key in in_use:
        _age(rt, key, timedelta(days=30))  # old, but referenced: must stay
    store.put("m/orphan/old", [b"ciphertext nobody can read"])
    _age(rt, "m/orphan/old", timedelta(days=3))
    store.put("m/orphan/young", [b"an ingest still writing"])
    _age(rt, "m/orphan/young", timedelta(minutes=10))

    dry = sweep_orphans(rt, Actor.command_line(), grace=timedelta(hours=48), dry_run=True)
    assert dry.orphans == ["m/orphan/old"] and dry.removed == 0
    assert store.exists("m/orphan/old")

    done = sweep_orphans(rt, Actor.command_line(), grace=timedelta(hours=48), dry_run=False)
    assert done.removed == 1 and done.examined == len(in_use) + 2
    assert not store.exists("m/orphan/old")
    assert store.exists("m/orphan/young")
    assert sorted(store.iter_keys("m/")) == sorted([*in_use, "m/orphan/young"])
    counsel = token_for(client, "counsel@plaintiffs.example")
    response = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/AOL-DEF-00528691/content", headers=auth(counsel)
    )
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_sweep_refuses_a_grace_shorter_than_an_ingest(rt, demo):
    with pytest.raises(Invalid, match="grace"):
        sweep_orphans(rt, Actor.command_line(), grace=timedelta(minutes=5), dry_run=False)
