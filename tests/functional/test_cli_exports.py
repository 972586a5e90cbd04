"""``pogw export`` runs as a member (the API token) and writes what the API serves;
``pogw ingest-overlay`` applies an overlay to a gateway that loaded the export."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from gateway.cli import main
from gateway.demo import CASE_NUMBER
from gateway.documents.models import Document
from tests.conftest import START
from tests.factories import api_token
from tests.functional.test_exports import AEO, DEF, _rulings_since, load_into
from tests.functional.test_exports import fresh as fresh  # noqa: F401  (a fixture)

EX6 = "AOL-DEF-00556923"


def _pogw(settings, *args, token=None, clock=None):
    clock_file = Path(settings["INSTANCE_PATH"]).parent / "cli-clock"
    clock_file.write_text((clock.now() if clock else START).isoformat(), encoding="utf-8")
    env = {
        "GATEWAY_CLOCK_FILE": str(clock_file),
        "GATEWAY_INSTANCE_PATH": str(settings["INSTANCE_PATH"]),
        "GATEWAY_KEYS_PATH": str(settings["KEYS_PATH"]),
        "GATEWAY_DATABASE_URL": str(settings["DATABASE_URL"]),
        "POGW_TOKEN": token,
    }
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def test_export_writes_the_zip_the_user_may_have(rt, demo, tmp_path):
    out = tmp_path / "staff.zip"
    staff = api_token(rt, "staff@alotrolado.example")
    done = _pogw(rt.settings, "export", CASE_NUMBER, "--volume", DEF, "--out", out, token=staff)
    assert done.exit_code == 0, done.output
    data = out.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert f"{DEF}/NATIVES/{EX6}.pdf" in archive.namelist()
    assert not any(bates.encode() in data for bates in AEO)
    again = _pogw(rt.settings, "export", CASE_NUMBER, "--volume", DEF, "--out", out, token=staff)
    assert again.exit_code == 2 and "exists" in again.output
    hidden = _pogw(
        rt.settings,
        "export",
        CASE_NUMBER,
        "--document",
        AEO[0],
        "--out",
        tmp_path / "x.zip",
        token=staff,
    )
    assert hidden.exit_code == 2 and "error:" in hidden.output
    assert not (tmp_path / "x.zip").exists()


def test_ingest_overlay_applies_what_counsel_exported(rt, demo, clock, fresh, tmp_path):
    counsel = api_token(rt, "counsel@plaintiffs.example")
    first = tmp_path / "first.zip"
    assert (
        _pogw(
            rt.settings,
            "export",
            CASE_NUMBER,
            "--volume",
            DEF,
            "--out",
            first,
            token=counsel,
            clock=clock,
        ).exit_code
        == 0
    )
    load_into(fresh, first.read_bytes(), DEF, tmp_path)
    since = _rulings_since(rt, demo, clock)
    overlay = tmp_path / "overlay.zip"
    made = _pogw(
        rt.settings,
        "export",
        CASE_NUMBER,
        "--overlay-since",
        since,
        "--name",
        "OVL002",
        "--out",
        overlay,
        token=counsel,
        clock=clock,
    )
    assert made.exit_code == 0, made.output
    with zipfile.ZipFile(overlay) as archive:
        archive.extractall(tmp_path / "ovl")
    runtime, matter_id, _party = fresh
    applied = _pogw(
        runtime.settings, "ingest-overlay", tmp_path / "ovl" / "OVL002", "--matter", "REVIEW-1"
    )
    assert applied.exit_code == 0, applied.output
    assert "2 re-designated, 3 with files replaced, 1 withdrawn" in applied.output
    with runtime.db.session() as session:
        ex6 = session.scalar(select(Document).where(Document.bates_begin == EX6))
    assert ex6 is not None and ex6.designation == "AEO"
