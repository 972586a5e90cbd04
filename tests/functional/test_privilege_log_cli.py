"""``pogw privilege-log``: the log as the token's user may see it, from the command line,
calling the service the API calls; a refusal exits 2, audited."""

from __future__ import annotations

import csv
import io
import json

import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from gateway.audit.models import AuditEntry
from gateway.audit.tags import Tag
from gateway.cli import main
from gateway.demo import CASE_NUMBER
from tests import factories
from tests.factories import api_token

EX6 = "AOL-DEF-00556923"  # CONFIDENTIAL
EX18 = "AOL-DEF-00528691"  # AEO; page 13 is AOL-DEF-00528703


@pytest.fixture
def pogw(rt, clock, tmp_path):
    """Run ``pogw`` against the test's instance, at the test's clock."""
    clock_file = tmp_path / "clock"

    def run(*args, token=None):
        clock_file.write_text(clock.now().isoformat(), encoding="utf-8")
        return _pogw(rt, clock_file, *args, token=token)

    return run


def _pogw(rt, clock_file, *args, token=None):
    env = {
        "GATEWAY_CLOCK_FILE": str(clock_file),
        "GATEWAY_INSTANCE_PATH": str(rt.settings["INSTANCE_PATH"]),
        "GATEWAY_KEYS_PATH": str(rt.settings["KEYS_PATH"]),
        "GATEWAY_DATABASE_URL": str(rt.settings["DATABASE_URL"]),
        "POGW_TOKEN": token,
    }
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def test_the_log_from_the_command_line_in_each_format(rt, demo, tmp_path, pogw):
    clawback = factories.claw_back(rt, demo, [EX6, EX18])
    factories.rule(rt, demo, clawback, EX18, "granted_in_part", pages=[13])
    counsel = api_token(rt, "counsel@plaintiffs.example")
    shown = pogw("privilege-log", CASE_NUMBER, token=counsel)
    assert shown.exit_code == 0, shown.output
    rows = {r["bates_begin"]: r for r in json.loads(shown.stdout)["items"]}
    assert set(rows) == {EX6, EX18}
    assert rows[EX18]["pages_withheld"] == ["AOL-DEF-00528703"]
    assert rows[EX6]["status"] == "pending"
    staff = api_token(rt, "staff@alotrolado.example")
    out = tmp_path / "log.csv"
    written = pogw("privilege-log", CASE_NUMBER, "--format", "csv", "--output", out, token=staff)
    assert written.exit_code == 0, written.output
    table = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert [r["Bates begin"] for r in table] == [EX6]  # the employee may not list Ex. 18
    pdf = tmp_path / "log.pdf"
    made = pogw("privilege-log", CASE_NUMBER, "--format", "pdf", "--output", pdf, token=counsel)
    assert made.exit_code == 0, made.output
    document = pdfium.PdfDocument(pdf.read_bytes())
    assert "AOL-DEF-00528703" in document[0].get_textpage().get_text_range()


def test_the_auditor_is_refused_and_the_refusal_audited(rt, demo, pogw):
    factories.claw_back(rt, demo, [EX6])
    refused = pogw("privilege-log", CASE_NUMBER, token=api_token(rt, "auditor@audit.example"))
    assert refused.exit_code == 2
    assert EX6 not in refused.output
    with rt.db.session() as session:
        reasons = session.scalars(
            select(AuditEntry.reason).where(
                AuditEntry.tag == str(Tag.PRIVILEGE_LOG_GENERATED), AuditEntry.outcome == "denied"
            )
        ).all()
    assert len(reasons) == 1 and "privilege_log:read" in reasons[0]
    without = pogw("privilege-log", CASE_NUMBER)
    assert without.exit_code != 0 and "POGW_TOKEN" in without.output
