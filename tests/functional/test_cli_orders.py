"""The order's workflows from the ``pogw`` command line: each runs as a matter member (the
user's API token), calls the service the API calls and prints the JSON the API answers;
what it changes is visible to every other user at once, and a refusal exits 2, audited.
The operator's ``pogw deadlines`` lists every party's dated obligations and what is overdue.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from gateway.accounts import service as accounts
from gateway.audit.models import AuditEntry
from gateway.cli import main
from gateway.demo import CASE_NUMBER, load_demo
from gateway.documents.models import Document
from gateway.orders import clawback, rulings
from tests.factories import DEFENDANTS, api_token
from tests.helpers import all_bates, api_get, assert_marked_copy

EX1 = "AOL-DEF-00556914"  # AEO
EX6 = "AOL-DEF-00556923"  # CONFIDENTIAL: the employee with Exhibit A opens it
EX18 = "AOL-DEF-00528691"  # page 13 is AOL-DEF-00528703
EX19 = "AOL-DEF-00516605"
PLAINTIFFS_COUNSEL = "counsel@plaintiffs.example"
STAFF = "staff@alotrolado.example"
DEFENSE = "counsel@defendants.example"
COURT = "court@casd.example"
ORDER = ("--order-date", "2020-06-26", "--docket", "463")


@pytest.fixture
def case(rt):
    """The reference case as it stood before the order's events (Ex. 19 CONFIDENTIAL)."""
    return load_demo(rt, say=lambda _line: None, start=True)


@pytest.fixture
def pogw(rt, clock, tmp_path):
    """Run ``pogw`` against the test's instance, its clock following the test's clock."""
    clock_file = tmp_path / "clock"

    def run(*args, token=None):
        clock_file.write_text(clock.now().isoformat(), encoding="utf-8")
        env = {
            "GATEWAY_INSTANCE_PATH": str(rt.settings["INSTANCE_PATH"]),
            "GATEWAY_KEYS_PATH": str(rt.settings["KEYS_PATH"]),
            "GATEWAY_DATABASE_URL": str(rt.settings["DATABASE_URL"]),
            "GATEWAY_CLOCK_FILE": str(clock_file),
            "POGW_TOKEN": token,  # None: not set at all
        }
        return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)

    return run


def _entries(rt, tag):
    with rt.db.session() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.tag == tag).order_by(AuditEntry.seq)
            )
        )


def _state(rt):
    with rt.db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(AuditEntry)),
            tuple(
                session.execute(
                    select(Document.designation, Document.state).order_by(Document.id)
                ).all()
            ),
        )


def test_redesignate_takes_effect_for_the_other_side_at_once(rt, case, client, pogw):
    staff, defense = api_token(rt, STAFF), api_token(rt, DEFENSE)
    assert api_get(client, staff, f"/matters/{case}/documents/{EX19}/content").status_code == 200
    assert api_get(client, defense, f"/matters/{case}/documents/{EX19}").status_code == 200

    done = pogw(
        "redesignate", CASE_NUMBER, EX19, "--designation", "AEO", "--reason", "¶5.3", token=defense
    )
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    # the designating side learns its own holders by name, never the other side's
    assert [n["email"] for n in body["notified"]] == [DEFENSE]
    assert STAFF not in done.stdout
    # at once, for the employee who downloaded it: gone, as if it never existed
    assert EX19 not in all_bates(client, staff, case)
    assert api_get(client, staff, f"/matters/{case}/documents/{EX19}").status_code == 404
    assert EX19 in all_bates(client, api_token(rt, PLAINTIFFS_COUNSEL), case)
    (entry,) = _entries(rt, "document:designation")
    assert (entry.outcome, entry.actor_email, entry.address) == ("allowed", DEFENSE, "local")

    # the employee reads the notice from the command line, with --token this time
    told = pogw("notices", "--token", staff)
    assert told.exit_code == 0, told.output
    (notice,) = json.loads(told.stdout)["items"]
    assert notice["subject"] == f"{EX19} re-designated AEO"
    assert "CONFIDENTIAL to AEO" in notice["body"] and "downloaded" in notice["body"]
    # and only their own: Defendants' counsel holds a notice of their own, not the employee's
    theirs = json.loads(pogw("notices", token=defense).stdout)["items"]
    assert theirs and all(STAFF not in n["body"] for n in theirs)


def test_member_commands_refuse_no_token_a_bad_token_and_the_wrong_member(rt, case, pogw):
    args = ("redesignate", CASE_NUMBER, EX1, "--designation", "AEO", "--reason", "why")
    before = _state(rt)
    missing = pogw(*args)
    assert missing.exit_code == 2
    assert "--token or the POGW_TOKEN" in missing.output
    assert _state(rt) == before  # nothing reached the gateway, nothing to audit

    forged = pogw(*args, "--token", "not-a-token")
    assert forged.exit_code == 2
    assert "error: the token is unknown, expired or revoked" in forged.stderr
    (counted,) = _entries(rt, "auth:refusals")  # counted per address, as the API counts
    assert json.loads(counted.details)["addresses"] == {"local": {"unknown token": 1}}

    before = _state(rt)
    wrong = pogw(*args, token=api_token(rt, PLAINTIFFS_COUNSEL))
    assert wrong.exit_code == 2
    assert "error: only the designating party" in wrong.stderr and wrong.stdout == ""
    (refused,) = _entries(rt, "document:designation")
    assert (refused.outcome, refused.actor_email, refused.address, refused.bates) == (
        "denied",
        PLAINTIFFS_COUNSEL,
        "local",
        EX1,
    )
    count, documents = _state(rt)
    # one more audit entry (the refusal, the issued token), nothing else changed
    assert (count, documents) == (before[0] + 2, before[1])


def test_clawback_presentation_ruling_and_certification(rt, case, client, pogw):
    plaintiffs, staff = api_token(rt, PLAINTIFFS_COUNSEL), api_token(rt, STAFF)
    defense, court = api_token(rt, DEFENSE), api_token(rt, COURT)
    assert api_get(client, staff, f"/matters/{case}/documents/{EX6}/content").status_code == 200

    noticed = pogw(
        "clawbacks",
        "notice",
        CASE_NUMBER,
        EX6,
        EX18,
        "--privilege",
        "law enforcement privilege",
        "--basis",
        "database identification codes",
        token=defense,
    )
    assert noticed.exit_code == 0, noticed.output
    body = json.loads(noticed.stdout)
    assert body["documents"] == [
        {"bates_begin": EX6, "state": "sequestered"},
        {"bates_begin": EX18, "state": "sequestered"},
    ]
    cid = body["id"]
    # the receiving side: a slip where it listed the document, never its content
    (slip,) = api_get(client, staff, f"/matters/{case}/documents", bates=EX6).get_json()["items"]
    assert slip["state"] == "sequestered" and "title" not in slip
    assert api_get(client, staff, f"/matters/{case}/documents/{EX6}/content").status_code == 403
    # what the command prints is what the API answers the same user
    shown = pogw("clawbacks", "show", CASE_NUMBER, cid, token=plaintiffs)
    api = api_get(client, plaintiffs, f"/matters/{case}/clawbacks/{cid}")
    assert json.loads(shown.stdout) == api.get_json()

    def court_opens(bates):
        return api_get(client, court, f"/matters/{case}/documents/{bates}/content").status_code

    assert court_opens(EX18) == 403
    presented = pogw("clawbacks", "present", CASE_NUMBER, cid, EX18, token=plaintiffs)
    assert presented.exit_code == 0, presented.output
    assert (court_opens(EX18), court_opens(EX6)) == (200, 403)

    # a party does not rule on a claim; refused, audited, nothing changed
    before = _state(rt)
    rule = ("clawbacks", "rule", CASE_NUMBER, cid, *ORDER)
    by_party = pogw(*rule, "--document", EX6, "--outcome", "denied", token=plaintiffs)
    assert by_party.exit_code == 2 and "error: " in by_party.stderr, by_party.stderr
    (refused,) = _entries(rt, "clawback:rule")
    assert (refused.outcome, refused.actor_email, refused.address) == (
        "denied",
        PLAINTIFFS_COUNSEL,
        "local",
    )
    assert _state(rt)[1] == before[1]

    denied = pogw(*rule, "--document", EX6, "--outcome", "denied", token=court)
    assert denied.exit_code == 0, denied.output
    assert json.loads(denied.stdout)["state"] == "produced"
    assert api_get(client, staff, f"/matters/{case}/documents/{EX6}/content").status_code == 200
    in_part = pogw(
        *rule,
        "--document",
        EX18,
        "--outcome",
        "granted_in_part",
        "--pages",
        "13",
        "--deadline",
        f"{DEFENDANTS}|lodge Ex. 18 under seal|14",
        token=court,
    )
    assert in_part.exit_code == 0, in_part.output
    ruled = json.loads(in_part.stdout)
    assert (ruled["state"], ruled["pages"]) == ("sequestered", [13])
    (due,) = ruled["deadlines"]
    assert (due["party"], due["due"], due["ends_at"]) == (
        DEFENDANTS,
        "2020-07-10",
        "2020-07-11T07:00:00+00:00",
    )

    # Plaintiffs' task lists the employee's pre-notice copy; Defendants see no task at all
    (task,) = json.loads(pogw("certifications", "list", CASE_NUMBER, token=plaintiffs).stdout)[
        "items"
    ]
    assert [(c["bates_begin"], c["downloaded_by"]) for c in task["copies"]] == [(EX6, STAFF)]
    assert json.loads(pogw("certifications", "list", CASE_NUMBER, token=defense).stdout) == {
        "items": []
    }
    sign = ("certifications", "sign", CASE_NUMBER, task["id"], "--statement", "destroyed")
    stolen = pogw(
        *sign,
        "--copy",
        f"{EX6}=destroyed",
        "--signed-by",
        "/s/ Dana Defense-Counsel",
        token=defense,
    )
    assert stolen.exit_code == 2 and "error: no such certification" in stolen.stderr
    signed = pogw(
        *sign,
        "--copy",
        f"{EX6}=destroyed",
        "--signed-by",
        "/s/ Pat Plaintiff-Counsel",
        token=plaintiffs,
    )
    assert signed.exit_code == 0, signed.output
    result = json.loads(signed.stdout)
    assert result["certified_at"] and [c["action"] for c in result["copies"]] == ["destroyed"]


def test_operator_deadlines_list_what_is_due_and_what_is_overdue(rt, case, clock, pogw):
    defense, court = accounts.get_user(rt, DEFENSE), accounts.get_user(rt, COURT)
    cid = clawback.claw_back(
        rt, defense, case, documents=[EX18], privilege="privilege", basis="codes", address="t"
    ).id
    rulings.rule(
        rt,
        court,
        case,
        cid,
        document=EX18,
        outcome="granted_in_part",
        pages=[13],
        order={"date": "2020-06-26", "docket": "463"},
        deadlines=[
            {"party": DEFENDANTS, "what": "lodge Ex. 18 under seal", "days": 14},
            {"party": DEFENDANTS, "what": "serve a privilege log", "days": 30},
        ],
        address="t",
    )

    table = pogw("deadlines")
    assert table.exit_code == 0, table.output
    rows = [line for line in table.stdout.splitlines() if CASE_NUMBER in line]
    assert len(rows) == 2 and "2020-07-10" in rows[0] and "2020-07-27" in rows[1]
    assert "lodge Ex. 18 under seal" in rows[0] and "OVERDUE" not in table.stdout
    assert json.loads(pogw("deadlines", "--overdue", "--json").stdout)["items"] == []

    # 23:59 Pacific on July 10 is still on time; at midnight the first one is overdue
    clock.advance(days=14, hours=13, minutes=59)
    assert clock.now() == datetime.fromisoformat("2020-07-11T06:59:00+00:00")
    assert json.loads(pogw("deadlines", "--overdue", "--json").stdout)["items"] == []
    clock.advance(minutes=1)
    overdue = json.loads(pogw("deadlines", "--case", CASE_NUMBER, "--overdue", "--json").stdout)
    (item,) = overdue["items"]
    assert overdue["now"] == "2020-07-11T07:00:00+00:00"
    # each obligation as the matter's own list shows it to the court, with its case number
    shown = rulings.deadlines_for(rt, court, case, address="t")
    assert item == {"case_number": CASE_NUMBER, **shown[0]}
    assert (item["what"], item["order"], item["overdue"]) == (
        "lodge Ex. 18 under seal",
        "463",
        True,
    )
    table = pogw("deadlines").stdout.splitlines()
    assert [("OVERDUE" in line) for line in table if CASE_NUMBER in line] == [True, False]

    unknown = pogw("deadlines", "--case", "1:99-cv-1")
    assert unknown.exit_code == 2 and "no matter 1:99-cv-1" in unknown.output
    # the operator's reads (a member's read of its own deadlines is audited too)
    reads = [e for e in _entries(rt, "obligation:read") if e.address == "local"]
    assert [(e.outcome, e.actor_email, e.address) for e in reads] == [
        ("allowed", "operator@command-line", "local")
    ] * 5
    assert (reads[-2].matter_id, json.loads(reads[-2].details)["overdue"]) == (case, 1)


def test_the_operator_records_the_written_order_then_versions_and_filings(
    rt, case, client, clock, pogw, tmp_path
):
    from tests.helpers import pdf_bytes

    plaintiffs, defense = api_token(rt, PLAINTIFFS_COUNSEL), api_token(rt, DEFENSE)
    noticed = pogw(
        "clawbacks",
        "notice",
        CASE_NUMBER,
        EX18,
        "--privilege",
        "LE",
        "--basis",
        "codes",
        token=defense,
    )
    cid = json.loads(noticed.stdout)["id"]
    # no token: the operator enters the court's written order, with the same checks
    rule = ("clawbacks", "rule", CASE_NUMBER, cid, *ORDER, "--document", EX18)
    wrong = pogw(*rule, "--outcome", "granted_in_part")
    assert wrong.exit_code == 2 and "pages" in wrong.stderr
    recorded = pogw(
        *rule,
        "--outcome",
        "granted_in_part",
        "--pages",
        "13",
        "--deadline",
        f"{DEFENDANTS}|lodge Ex. 18 under seal|14",
    )
    assert recorded.exit_code == 0, recorded.output
    entries = _entries(rt, "clawback:rule")
    assert [(e.outcome, e.actor_email) for e in entries] == [
        ("denied", "operator@command-line"),
        ("allowed", "operator@command-line"),
    ]
    # Defendants supply the privilege-redacted version from a file
    redacted = tmp_path / "ex18-redacted.pdf"
    redacted.write_bytes(pdf_bytes(17, "redacted"))
    add = ("versions", "add", CASE_NUMBER, EX18, str(redacted), "--designation", "AEO")
    by_receiver = pogw(*add, "--kind", "privilege_redacted", token=plaintiffs)
    assert by_receiver.exit_code == 2 and "only the producing" in by_receiver.stderr
    made = pogw(*add, "--kind", "privilege_redacted", token=defense)
    assert made.exit_code == 0, made.output
    got = api_get(client, plaintiffs, f"/matters/{case}/documents/{EX18}/content")
    assert_marked_copy(got.data, redacted.read_bytes())
    listed = json.loads(pogw("versions", "list", CASE_NUMBER, EX18, token=plaintiffs).stdout)
    assert [(v["kind"], v["can_view"]) for v in listed["items"]] == [
        ("original", False),
        ("privilege_redacted", True),
    ]
    # lodged under seal on the last day, 23:59 Pacific: on time
    clock.advance(days=16)
    defense = api_token(rt, DEFENSE)  # the first one has expired by now
    filed = pogw(
        "file",
        CASE_NUMBER,
        EX18,
        "--disposition",
        "lodged_under_seal",
        "--docket",
        "470",
        "--filed-at",
        "2020-07-10T23:59:00-07:00",
        token=defense,
    )
    assert filed.exit_code == 0, filed.output
    assert json.loads(filed.stdout)["deadline"]["on_time"] is True
