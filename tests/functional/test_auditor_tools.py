"""The neutral auditor's tools: activity, anomalies, JSON Lines, the PDF report, the page and
the command. The auditor sees the figures; a party's counsel, a party's employee and a
non-party's counsel are refused, and each refusal is in the trail."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from gateway.accounts import service as accounts
from gateway.audit import auditor
from gateway.audit import service as audit
from gateway.audit.report_pdf import render
from gateway.cli import main
from gateway.demo import CASE_NUMBER
from gateway.documents import service as documents
from gateway.errors import GatewayError
from tests import factories
from tests.helpers import BASE, api_get, token_for, web_login

EX18 = "AOL-DEF-00528691"
AUDITOR = "auditor@audit.example"
COUNSEL = "counsel@plaintiffs.example"
STAFF = "staff@alotrolado.example"
DEFENSE = "counsel@defendants.example"
VENDOR_COUNSEL = "counsel@vendor.example"
SAN_DIEGO = ZoneInfo("America/Los_Angeles")
TODAY = "2020-06-26"  # START, in San Diego


def _at(clock, day: int, hour: int, minute: int = 0) -> None:
    """Move the clock on to that time in San Diego (June 2020)."""
    target = datetime(2020, 6, day, hour, minute, tzinfo=SAN_DIEGO)
    clock.advance(seconds=(target - clock.now()).total_seconds())


def _view(rt, matter_id, email, bates=EX18):
    try:
        documents.get_document(rt, accounts.get_user(rt, email), matter_id, bates, address="t")
    except GatewayError:
        pass  # refused, and audited as such


def _anomalies(rt, matter_id, since=TODAY, until=TODAY):
    user = accounts.get_user(rt, AUDITOR)
    found = auditor.read_anomalies(rt, user, matter_id, since=since, until=until, address="t")
    return found.anomalies


def _kinds(found, kind):
    return [a for a in found if a.kind == kind]


@pytest.fixture
def reviewed(rt, clock, demo):
    """Plaintiffs' counsel views and downloads Ex. 18; their employee is refused it."""
    clock.advance(minutes=5)
    _view(rt, demo, COUNSEL)
    factories.download(rt, demo, COUNSEL, EX18)
    _view(rt, demo, STAFF)
    return demo


# --- activity -------------------------------------------------------------------------------


def test_auditor_sees_who_viewed_downloaded_or_was_refused_what(client, reviewed):
    token = token_for(client, AUDITOR)
    response = api_get(
        client, token, f"/matters/{reviewed}/audit/activity", since=TODAY, until=TODAY
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["time_zone"] == "America/Los_Angeles"
    users = {row["user"]: row for row in body["users"]["rows"]}
    assert users[COUNSEL]["views"] == 1 and users[COUNSEL]["downloads"] == 1
    assert users[COUNSEL]["party"] == factories.PLAINTIFFS
    assert users[STAFF] == {
        "user": STAFF,
        "party": factories.PLAINTIFFS,
        "views": 0,
        "downloads": 0,
        "denials": 1,
    }
    docs = {row["document"]: row for row in body["documents"]["rows"]}
    assert (docs[EX18]["views"], docs[EX18]["downloads"], docs[EX18]["denials"]) == (1, 1, 1)
    parties = {row["party"]: row for row in body["parties"]["rows"]}
    assert parties[factories.PLAINTIFFS]["denials"] == 1
    assert factories.DEFENDANTS not in parties, "Defendants did nothing in the range"
    assert body["per_day"] == [{"day": TODAY, "views": 1, "downloads": 1, "denials": 1}]
    assert body["totals"] == {"views": 1, "downloads": 1, "denials": 1}


def test_a_day_is_the_courts_day(rt, clock, reviewed):
    _at(clock, 26, 23, 30)  # 06:30 UTC on the 27th
    _view(rt, reviewed, COUNSEL)
    user = accounts.get_user(rt, AUDITOR)
    friday = auditor.read_activity(rt, user, reviewed, since=TODAY, until=TODAY, address="t")
    assert friday.totals.views == 2
    saturday = auditor.read_activity(
        rt, user, reviewed, since="2020-06-27", until="2020-06-27", address="t"
    )
    assert saturday.totals.views == 0
    both = auditor.read_activity(rt, user, reviewed, since=TODAY, until="2020-06-27", address="t")
    assert [(d.isoformat(), c.views) for d, c in both.per_day] == [
        ("2020-06-26", 2),
        ("2020-06-27", 0),
    ]


def test_a_bad_range_is_refused_plainly(client, reviewed):
    token = token_for(client, AUDITOR)
    path = f"/matters/{reviewed}/audit/activity"
    backwards = api_get(client, token, path, since="2020-06-26", until="2020-06-01")
    assert backwards.status_code == 400 and "before" in backwards.get_json()["error"]["message"]
    assert api_get(client, token, path, since="June").status_code == 400
    too_long = api_get(client, token, path, since="2019-01-01", until="2020-06-26")
    assert too_long.status_code == 400
    assert api_get(client, token, path, sinse="2020-06-01").status_code == 400


# --- who is refused -------------------------------------------------------------------------


@pytest.fixture
def outsiders(rt, reviewed):
    factories.add_non_party(rt, reviewed)
    factories.person(
        rt, reviewed, VENDOR_COUNSEL, "outside_counsel", party="Border Data Vendor LLC"
    )
    return {
        COUNSEL: "not the neutral auditor",  # a party's counsel reads its own side only
        STAFF: "no audit permission",
        VENDOR_COUNSEL: "not the neutral auditor",
    }


@pytest.mark.parametrize(
    ("path", "tag"),
    [
        ("audit/activity", "audit:read"),
        ("audit/anomalies", "audit:read"),
        ("audit/report.pdf", "audit:export"),
    ],
)
def test_everyone_but_the_auditor_is_refused_and_the_refusal_is_audited(
    rt, client, reviewed, outsiders, path, tag
):
    for email, reason in outsiders.items():
        response = api_get(client, token_for(client, email), f"/matters/{reviewed}/{path}")
        assert response.status_code == 403, (email, response.get_data()[:200])
        assert "auditor" in response.get_json()["error"]["message"]
        items, _total, _scope, _head = audit.read_audit(
            rt,
            accounts.get_user(rt, AUDITOR),
            reviewed,
            audit.AuditQuery(user=email, per_page=5),
            address="t",
        )
        refusal = next(e for e in items if e["tag"] == tag)
        assert (refusal["outcome"], refusal["reason"]) == ("denied", reason), email


def test_every_reading_by_the_auditor_is_audited(rt, client, reviewed):
    token = token_for(client, AUDITOR)
    for path in ("activity", "anomalies", "report.pdf"):
        assert api_get(client, token, f"/matters/{reviewed}/audit/{path}").status_code == 200
    items, _t, _s, _h = audit.read_audit(
        rt,
        accounts.get_user(rt, AUDITOR),
        reviewed,
        audit.AuditQuery(user=AUDITOR, per_page=10),
        address="t",
    )
    views = [(e["tag"], e["details"].get("view")) for e in items if e["outcome"] == "allowed"]
    assert ("audit:read", "activity") in views
    assert ("audit:read", "anomalies") in views
    assert ("audit:export", "report.pdf") in views


# --- anomalies: each threshold, just under it and at it --------------------------------------


def test_bulk_download_at_the_threshold_and_not_below(rt, clock, demo, monkeypatch):
    monkeypatch.setitem(rt.settings, "AUDIT_BULK_DOWNLOADS", 3)
    monkeypatch.setitem(rt.settings, "AUDIT_BULK_WINDOW_MINUTES", 10)
    for _ in range(2):
        factories.download(rt, demo, COUNSEL, EX18)
        clock.advance(minutes=4)
    assert _kinds(_anomalies(rt, demo), "bulk_download") == []
    clock.advance(minutes=1, seconds=59)  # the third within 10 minutes of the first
    factories.download(rt, demo, COUNSEL, EX18)
    [found] = _kinds(_anomalies(rt, demo), "bulk_download")
    assert found.who == COUNSEL and found.count == 3
    assert found.explanation == (
        f"{COUNSEL} downloaded 3 documents within 10 minutes on 2020-06-26 at 10:00 "
        "(threshold: 3 in 10 minutes)"
    )


def test_downloads_spread_wider_than_the_window_are_no_bulk(rt, clock, demo, monkeypatch):
    monkeypatch.setitem(rt.settings, "AUDIT_BULK_DOWNLOADS", 3)
    for _ in range(3):
        factories.download(rt, demo, COUNSEL, EX18)
        clock.advance(minutes=5)  # the third is 10 minutes after the first: outside
    assert _kinds(_anomalies(rt, demo), "bulk_download") == []


def test_denial_burst_at_the_threshold_and_not_below(rt, clock, demo, monkeypatch):
    monkeypatch.setitem(rt.settings, "AUDIT_DENIAL_BURST", 3)
    monkeypatch.setitem(rt.settings, "AUDIT_DENIAL_WINDOW_MINUTES", 5)
    for _ in range(2):
        _view(rt, demo, STAFF)
        clock.advance(minutes=2)
    assert _kinds(_anomalies(rt, demo), "denial_burst") == []
    _view(rt, demo, STAFF)
    [found] = _kinds(_anomalies(rt, demo), "denial_burst")
    assert found.who == STAFF and found.count == 3
    assert "(threshold: 3 in 5 minutes)" in found.explanation
    assert found.explanation.startswith(f"{STAFF} was refused 3 times within 5 minutes")


def test_off_hours_at_the_edges_of_the_working_day(rt, clock, demo):
    _at(clock, 26, 19, 59)
    _view(rt, demo, COUNSEL)  # the last working minute
    assert _kinds(_anomalies(rt, demo), "off_hours") == []
    _at(clock, 26, 20, 0)
    _view(rt, demo, COUNSEL)
    [late] = _kinds(_anomalies(rt, demo), "off_hours")
    assert late.who == COUNSEL and late.count == 1
    assert late.explanation == (
        f"{COUNSEL} viewed or downloaded documents once outside working hours on Fri "
        "2020-06-26, first at 20:00 (working hours: 07:00-20:00, Mon-Fri, America/Los_Angeles)"
    )


def test_off_hours_before_the_day_starts_and_on_a_weekend(rt, clock, demo, monkeypatch):
    saturday, monday = "2020-06-27", "2020-06-29"
    _at(clock, 27, 12)
    _view(rt, demo, COUNSEL)
    [weekend] = _kinds(_anomalies(rt, demo, saturday, saturday), "off_hours")
    assert "on Sat 2020-06-27, first at 12:00" in weekend.explanation
    monkeypatch.setitem(rt.settings, "AUDIT_WORK_DAYS", "mon-sun")
    assert _kinds(_anomalies(rt, demo, saturday, saturday), "off_hours") == []
    monkeypatch.setitem(rt.settings, "AUDIT_WORK_DAYS", "mon-fri")
    _at(clock, 29, 7, 0)  # the first working minute
    _view(rt, demo, COUNSEL)
    assert _kinds(_anomalies(rt, demo, monday, monday), "off_hours") == []
    monkeypatch.setitem(rt.settings, "AUDIT_WORK_START_HOUR", 8)
    [early] = _kinds(_anomalies(rt, demo, monday, monday), "off_hours")
    assert "first at 07:00 (working hours: 08:00-20:00, Mon-Fri" in early.explanation


def test_access_while_a_clawback_is_pending(rt, clock, demo):
    _view(rt, demo, COUNSEL)  # before the notice: nothing wrong
    clock.advance(minutes=1)
    clawback_id = factories.claw_back(rt, demo, [EX18])
    assert _kinds(_anomalies(rt, demo), "sequestered_access") == []
    clock.advance(minutes=1)
    _view(rt, demo, DEFENSE)  # the claimant's own side keeps its original
    assert _kinds(_anomalies(rt, demo), "sequestered_access") == []
    _view(rt, demo, COUNSEL)
    [found] = _kinds(_anomalies(rt, demo), "sequestered_access")
    assert found.who == COUNSEL and EX18 in found.explanation
    assert f"claw-back #{clawback_id}" in found.explanation
    clock.advance(hours=1)
    factories.rule(rt, demo, clawback_id, EX18, "denied")
    clock.advance(minutes=1)
    _view(rt, demo, COUNSEL)  # released by the ruling
    assert len(_kinds(_anomalies(rt, demo), "sequestered_access")) == 1


def test_thresholds_in_the_api_answer(client, reviewed):
    body = api_get(
        client, token_for(client, AUDITOR), f"/matters/{reviewed}/audit/anomalies"
    ).get_json()
    assert body["thresholds"]["bulk_downloads"] == 100
    assert body["thresholds"]["working_hours"] == "07:00-20:00, Mon-Fri"
    assert body["items"] == []


# --- JSON Lines -----------------------------------------------------------------------------


def test_jsonl_for_the_auditor_has_the_csv_columns(client, reviewed):
    token = token_for(client, AUDITOR)
    response = api_get(client, token, f"/matters/{reviewed}/audit", format="jsonl")
    assert response.status_code == 200
    assert response.mimetype == "application/jsonl"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert lines and all(list(line) == list(audit.COLUMNS) for line in lines)
    seqs = [line["seq"] for line in lines]
    assert seqs == sorted(seqs, reverse=True)
    assert {line["actor_email"] for line in lines} >= {COUNSEL, STAFF}
    newest = api_get(client, token, f"/matters/{reviewed}/audit", per_page=1).get_json()
    export = newest["items"][0]
    assert (export["tag"], export["details"]["format"]) == ("audit:export", "jsonl")


def test_jsonl_for_a_partys_counsel_is_its_side_with_the_side_columns(client, rt, reviewed):
    factories.download(rt, reviewed, DEFENSE, "AOL-PLTF-00000001")
    token = token_for(client, COUNSEL)
    response = api_get(client, token, f"/matters/{reviewed}/audit", format="jsonl")
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert lines and all(list(line) == list(audit.SIDE_COLUMNS) for line in lines)
    actors = {line["actor_email"] for line in lines}
    assert {COUNSEL, STAFF} <= actors and DEFENSE not in actors
    assert DEFENSE.encode() not in response.get_data(), "the other side's review leaked"
    assert [line["n"] for line in lines] == sorted((line["n"] for line in lines), reverse=True)


def test_jsonl_refused_to_an_employee_and_audited(client, rt, reviewed):
    response = api_get(
        client, token_for(client, STAFF), f"/matters/{reviewed}/audit", format="jsonl"
    )
    assert response.status_code == 403
    items, _t, _s, _h = audit.read_audit(
        rt, accounts.get_user(rt, AUDITOR), reviewed, audit.AuditQuery(user=STAFF), address="t"
    )
    assert (items[0]["tag"], items[0]["outcome"]) == ("audit:export", "denied")


def test_unknown_format_and_arguments_are_refused(client, reviewed):
    token = token_for(client, AUDITOR)
    assert api_get(client, token, f"/matters/{reviewed}/audit", format="xml").status_code == 400
    assert api_get(client, token, f"/matters/{reviewed}/audit", fmt="jsonl").status_code == 400


# --- the PDF report -------------------------------------------------------------------------


def _pdf_text(data: bytes) -> str:
    import pypdfium2

    from gateway.pdf.pdfium_lock import PDFIUM

    with PDFIUM:
        pdf = pypdfium2.PdfDocument(data)
        try:
            text = " ".join(page.get_textpage().get_text_range() for page in pdf)
        finally:
            pdf.close()
    return " ".join(text.split())


def test_the_report_names_users_anomalies_and_the_trail(client, rt, clock, reviewed, monkeypatch):
    monkeypatch.setitem(rt.settings, "AUDIT_DENIAL_BURST", 2)
    clock.advance(minutes=1)
    _view(rt, reviewed, STAFF)
    response = api_get(
        client, token_for(client, AUDITOR), f"/matters/{reviewed}/audit/report.pdf", since=TODAY
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _pdf_text(response.get_data())
    assert "Al Otro Lado, Inc., et al. v. Chad F. Wolf, et al." in text
    assert "Audit report for 2020-06-26 (America/Los_Angeles)" in text
    assert COUNSEL in text and STAFF in text and EX18 in text
    assert (
        f"{STAFF} was refused 2 times within 5 minutes on 2020-06-26 at 10:05 "
        "(threshold: 2 in 5 minutes)"
    ) in text
    assert "the matter's trail held" in text


def test_the_same_trail_gives_the_same_pdf(client, clock, reviewed):
    clock.advance(days=1)  # the range is over: nothing more falls in it
    token = token_for(client, AUDITOR)
    path = f"/matters/{reviewed}/audit/report.pdf"
    first = api_get(client, token, path, since=TODAY, until=TODAY).get_data()
    second = api_get(client, token, path, since=TODAY, until=TODAY).get_data()
    assert first == second
    assert re.search(r"trail held \d+ entries", _pdf_text(first))


def test_pogw_audit_report_writes_the_pdf(rt, reviewed, tmp_path):
    out = tmp_path / "report.pdf"
    done = _pogw(rt, "audit", "report", "--matter", CASE_NUMBER, "--out", out, token=AUDITOR)
    assert done.exit_code == 0, done.output
    assert COUNSEL in _pdf_text(out.read_bytes())
    again = _pogw(rt, "audit", "report", "--matter", CASE_NUMBER, "--out", out, token=AUDITOR)
    assert again.exit_code == 2 and "exists" in again.output
    refused = _pogw(
        rt, "audit", "report", "--matter", CASE_NUMBER, "--out", tmp_path / "c.pdf", token=COUNSEL
    )
    assert refused.exit_code == 2 and "neutral auditor" in refused.output
    assert not (tmp_path / "c.pdf").exists()


def _pogw(rt, *args, token):
    clock_file = Path(rt.settings["INSTANCE_PATH"]).parent / "cli-clock"
    clock_file.write_text(rt.now().isoformat(), encoding="utf-8")
    env = {
        "GATEWAY_CLOCK_FILE": str(clock_file),
        "GATEWAY_INSTANCE_PATH": str(rt.settings["INSTANCE_PATH"]),
        "GATEWAY_KEYS_PATH": str(rt.settings["KEYS_PATH"]),
        "GATEWAY_DATABASE_URL": str(rt.settings["DATABASE_URL"]),
        "POGW_TOKEN": factories.api_token(rt, token),
    }
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


# --- the pages ------------------------------------------------------------------------------


def test_the_auditors_page_shows_figures_anomalies_and_exports(client, rt, clock, reviewed):
    _at(clock, 26, 21, 0)
    _view(rt, reviewed, COUNSEL)
    web_login(client, AUDITOR)
    trail = client.get(f"{BASE}/matters/{reviewed}/audit")
    assert b"/audit/overview" in trail.data and b"/audit/report.pdf" in trail.data
    page = client.get(f"{BASE}/matters/{reviewed}/audit/overview", query_string={"since": TODAY})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert COUNSEL in html and STAFF in html and EX18 in html
    assert "outside working hours on Fri 2020-06-26, first at 21:00" in html
    assert "format=jsonl" in html and "format=csv" in html and "report.pdf" in html
    exported = client.get(f"{BASE}/matters/{reviewed}/audit", query_string={"format": "jsonl"})
    assert exported.mimetype == "application/jsonl"
    report = client.get(f"{BASE}/matters/{reviewed}/audit/report.pdf")
    assert report.status_code == 200 and report.data.startswith(b"%PDF")


def test_the_auditors_page_is_refused_to_counsel(client, reviewed):
    web_login(client, COUNSEL)
    trail = client.get(f"{BASE}/matters/{reviewed}/audit")
    assert trail.status_code == 200 and b"/audit/overview" not in trail.data
    assert client.get(f"{BASE}/matters/{reviewed}/audit/overview").status_code == 403
    assert client.get(f"{BASE}/matters/{reviewed}/audit/report.pdf").status_code == 403


def test_rendering_keeps_no_time_of_its_own(rt, clock, reviewed):
    user = accounts.get_user(rt, AUDITOR)
    overview = auditor.read_overview(rt, user, reviewed, since=TODAY, until=TODAY, address="t")
    first = render(overview)
    clock.advance(hours=5)
    assert render(overview) == first
