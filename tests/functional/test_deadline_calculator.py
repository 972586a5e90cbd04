"""The deadline calculator through its two doors: ``pogw deadline`` and
``GET /api/v1/calendar/deadline``. Both give the contract's JSON; bad input is refused with
a clear message, audited, and changes nothing else."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

import gateway.models  # noqa: F401  (every table, for the counts)
from gateway.accounts.service import create_user
from gateway.audit.events import Actor
from gateway.audit.models import AuditEntry
from gateway.cli import main
from gateway.db import Base
from tests.helpers import BASE, api_get, auth, token_for

SEED = {
    "due": "2020-07-10",
    "ends_at": "2020-07-11T07:00:00+00:00",
    "court": "casd",
    "skipped": [],
}
PASSWORD = "a long enough password"


# the audit logs' own bookkeeping (heads, stored subtrees, checkpoints) grows with them
LOG_TABLES = {"audit_logs", "audit_nodes", "audit_checkpoints"}


def counts(rt) -> dict[str, int]:
    with rt.db.session() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
            if table.name not in LOG_TABLES
        }


def refusals(rt) -> list[AuditEntry]:
    with rt.db.session() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.tag == "calendar:deadline")
                .order_by(AuditEntry.seq)
            )
        )


@pytest.fixture
def cli(rt):
    env = {
        "GATEWAY_INSTANCE_PATH": str(rt.settings["INSTANCE_PATH"]),
        "GATEWAY_KEYS_PATH": str(rt.settings["KEYS_PATH"]),
        "GATEWAY_DATABASE_URL": str(rt.settings["DATABASE_URL"]),
    }

    def run(*args: str):
        return CliRunner().invoke(main, ["deadline", *args], env=env, catch_exceptions=False)

    return run


def test_cli_prints_the_contract_json_for_the_seed_order(cli):
    result = cli("--court", "casd", "--from", "2020-06-26", "--days", "14")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == SEED


def test_cli_business_days_and_before_event(cli):
    business = cli("--court", "casd", "--from", "2020-06-26", "--days", "5", "--business-days")
    assert json.loads(business.output)["due"] == "2020-07-06"
    before = cli("--court", "casd", "--from", "2020-07-18", "--days", "14", "--before-event")
    body = json.loads(before.output)
    assert body["due"] == "2020-07-02"
    assert [s["date"] for s in body["skipped"]] == ["2020-07-04", "2020-07-03"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--court", "zzd", "--from", "2020-06-26", "--days", "14"), "unknown court id 'zzd'"),
        (("--court", "casd", "--from", "June 26", "--days", "14"), "a date as YYYY-MM-DD"),
        (("--court", "casd", "--from", "2020-02-30", "--days", "14"), "not a day of the"),
        (("--court", "casd", "--from", "2020-06-26", "--days", "-3"), "-3 is not a period"),
        (("--court", "casd", "--from", "2020-06-26", "--days", "99999"), "beyond any period"),
        (("--court", "casd", "--from", "2020-06-26", "--days", "two"), "a whole number"),
    ],
)
def test_cli_refuses_bad_input_with_exit_2_audited_and_nothing_else_changes(cli, rt, args, message):
    before = counts(rt)
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.startswith("error: ")
    after = counts(rt)
    assert after.pop("audit_entries") == before.pop("audit_entries") + 1
    assert after == before
    (entry,) = refusals(rt)
    assert entry.outcome == "denied" and message in entry.reason
    assert entry.actor_email == "operator@command-line"
    assert json.loads(entry.details)["court"] == args[1]


@pytest.fixture
def token(rt, client):
    create_user(
        rt,
        Actor.command_line(),
        email="clerk@court.example",
        full_name="A Clerk",
        password=PASSWORD,
    )
    return token_for(client, "clerk@court.example", PASSWORD)


def test_api_gives_the_same_answer_to_any_signed_in_user(client, token, cli):
    response = api_get(
        client, token, "/calendar/deadline", court="casd", days=14, **{"from": "2020-06-26"}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == SEED
    from_cli = cli("--court", "casd", "--from", "2020-06-26", "--days", "5", "--business-days")
    business = api_get(
        client,
        token,
        "/calendar/deadline",
        court="casd",
        days=5,
        business_days=1,
        **{"from": "2020-06-26"},
    )
    assert business.get_json() == json.loads(from_cli.output)
    before = api_get(
        client,
        token,
        "/calendar/deadline",
        court="casd",
        days=14,
        before_event="1",
        **{"from": "2020-07-18"},
    )
    assert before.get_json()["due"] == "2020-07-02"


def test_api_needs_a_signed_in_user(client, rt):
    response = client.get(
        f"{BASE}/api/v1/calendar/deadline",
        query_string={"court": "casd", "from": "2020-06-26", "days": 14},
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"
    response = client.get(
        f"{BASE}/api/v1/calendar/deadline",
        headers=auth("not-a-token"),
        query_string={"court": "casd", "from": "2020-06-26", "days": 14},
    )
    assert response.status_code == 401
    assert refusals(rt) == []  # a sign-in refusal is audited as such, not as a deadline


@pytest.mark.parametrize(
    ("params", "status", "code", "message"),
    [
        ({"court": "cas", "from": "2020-06-26", "days": "14"}, 422, "invalid", "unknown court"),
        ({"court": "casd", "from": "2020-13-01", "days": "14"}, 400, "bad_request", "not a day"),
        ({"court": "casd", "from": "", "days": "14"}, 400, "bad_request", "YYYY-MM-DD"),
        ({"court": "casd", "from": "2020-06-26", "days": "0"}, 422, "invalid", "not a period"),
        ({"court": "casd", "from": "2020-06-26", "days": "1e9"}, 400, "bad_request", "whole"),
        (
            {"court": "casd", "from": "2020-06-26", "days": "14", "business_days": "yes"},
            400,
            "bad_request",
            "business_days",
        ),
        ({"court": "casd", "from": "2040-06-26", "days": "14"}, 422, "invalid", "covers 2010"),
    ],
)
def test_api_refuses_bad_input_in_the_error_shape_audited(
    client, token, rt, params, status, code, message
):
    before = counts(rt)
    response = client.get(
        f"{BASE}/api/v1/calendar/deadline", headers=auth(token), query_string=params
    )
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert message in body["error"]["message"]
    after = counts(rt)
    assert after.pop("audit_entries") == before.pop("audit_entries") + 1
    assert after == before
    (entry,) = refusals(rt)
    assert entry.actor_email == "clerk@court.example" and entry.outcome == "denied"
    with rt.db.read_session() as session:
        assert rt.audit_log.verify(session).ok  # the chain still holds


def test_the_openapi_document_declares_the_parameters_and_their_bounds(client):
    spec = client.get(f"{BASE}/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/calendar/deadline"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert set(params) == {"court", "from", "days", "business_days", "before_event"}
    assert all(params[name]["required"] for name in ("court", "from", "days"))
    assert params["days"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 3650}
    assert params["from"]["schema"]["format"] == "date"
    assert params["business_days"]["schema"]["enum"] == ["0", "1", "true", "false"]


def test_the_operators_declared_days_count_through_the_setting(client, token, rt, tmp_path):
    """GATEWAY_DECLARED_HOLIDAYS: a closing the President declares on July 10, 2020 moves
    the seed's deadline past the weekend (FRCP 6(a)(6)(B))."""
    path = tmp_path / "declared.toml"
    path.write_text(
        'kind = "declared"\njurisdiction = "US"\nname = "Declared"\n\n[[holiday]]\n'
        'name = "A closing"\ncitation = "Exec. Order No. 1"\ndates = ["2020-07-10"]\n',
        encoding="utf-8",
    )
    rt.settings["DECLARED_HOLIDAYS"] = str(path)
    response = api_get(
        client, token, "/calendar/deadline", court="casd", days=14, **{"from": "2020-06-26"}
    )
    body = response.get_json()
    assert body["due"] == "2020-07-13"
    assert [s["date"] for s in body["skipped"]] == ["2020-07-10", "2020-07-11", "2020-07-12"]
    assert "Exec. Order No. 1" in body["skipped"][0]["why"]
