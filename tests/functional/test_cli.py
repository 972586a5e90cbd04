"""The operator's command line: keys are created only on request, never silently."""

from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from gateway.audit.checkpoint import split_notes
from gateway.audit.merkle import Frontier
from gateway.cli import main
from gateway.db import Database


@pytest.fixture
def cli_env(tmp_path):
    """A fresh database for commands that migrate it themselves."""
    pg = os.environ.get("GATEWAY_TEST_DATABASE_URL")
    if pg:
        db = Database(pg)
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text("DROP SCHEMA IF EXISTS cli_check CASCADE"))
            conn.execute(text("CREATE SCHEMA cli_check"))
        db.dispose()
        url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3Dcli_check"
    else:
        url = f"sqlite:///{tmp_path / 'instance' / 'gateway.sqlite3'}"
    return {
        "GATEWAY_INSTANCE_PATH": str(tmp_path / "instance"),
        "GATEWAY_KEYS_PATH": str(tmp_path / "keys"),
        "GATEWAY_DATABASE_URL": url,
        "GATEWAY_ARGON2_TIME_COST": "1",
    }


def run(env, *args):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_serve_refuses_to_start_without_keys(cli_env, tmp_path):
    result = run(cli_env, "serve")
    assert result.exit_code == 2
    assert "missing key file" in result.output and "pogw init" in result.output
    assert not (tmp_path / "keys").exists(), "a key was generated silently"


def test_init_creates_private_keys_and_never_overwrites(cli_env, tmp_path):
    first = run(cli_env, "init")
    assert first.exit_code == 0, first.output
    keys = sorted((tmp_path / "keys").iterdir())
    assert [k.name for k in keys] == ["audit-signing.key", "master.key", "session.key"]
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert str(key) in first.output
    before = {k.name: k.read_bytes() for k in keys}
    second = run(cli_env, "init")
    assert "keys already present" in second.output
    assert {k.name: k.read_bytes() for k in sorted((tmp_path / "keys").iterdir())} == before


def test_keys_readable_by_others_are_refused(cli_env, tmp_path):
    run(cli_env, "init")
    os.chmod(tmp_path / "keys" / "master.key", 0o644)
    result = run(cli_env, "audit", "verify")
    assert result.exit_code == 2
    assert "readable by others" in result.output


def test_demo_loads_once_and_audit_verifies(cli_env, tmp_path):
    result = run(cli_env, "demo", "--no-serve")
    assert result.exit_code == 0, result.output
    assert "created key" in result.output
    assert "produced AOL-DEF-VOL001: 19 documents" in result.output
    assert "produced AOL-PLTF-VOL001: 2 documents" in result.output
    assert "counsel@plaintiffs.example" in result.output and "WARNING" in result.output
    again = run(cli_env, "demo", "--no-serve")
    assert "demo data already loaded" in again.output
    verified = run(cli_env, "audit", "verify")
    assert verified.exit_code == 0 and "audit logs intact" in verified.output
    # no plaintext of any demo document anywhere under the instance folder
    for path in (tmp_path / "instance").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"GENERATED STAND-IN" not in data and b"%PDF" not in data, path
    db = Database(cli_env["GATEWAY_DATABASE_URL"])
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET reason = 'edited' WHERE seq = 3"))
    db.dispose()
    with db.engine.begin() as conn:
        log, index = conn.execute(
            text(
                "SELECT l.name, e.log_index FROM audit_entries e JOIN audit_logs l"
                " ON l.id = e.log_id WHERE e.seq = 3"
            )
        ).one()
    db.dispose()
    broken = run(cli_env, "audit", "verify")
    assert broken.exit_code == 1
    assert f"{log}: entry {index}: contents do not match its hash" in broken.output


def test_users_create_and_disable(cli_env):
    run(cli_env, "init")
    created = CliRunner().invoke(
        main,
        ["users", "create", "new@firm.example", "--name", "New Person"],
        input="a-long-password-1\na-long-password-1\n",
        env=cli_env,
    )
    assert created.exit_code == 0, created.output
    short = CliRunner().invoke(
        main,
        ["users", "create", "x@firm.example", "--name", "X"],
        input="short\nshort\n",
        env=cli_env,
    )
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    assert run(cli_env, "users", "disable", "new@firm.example").exit_code == 0
    listing = run(cli_env, "users", "list").output
    assert "new@firm.example" in listing and "disabled" in listing
    assert "x@firm.example" not in listing


def test_operator_sets_up_a_matter_from_the_command_line(cli_env):
    run(cli_env, "init")
    created = run(
        cli_env,
        "matters",
        "create",
        "--case-number",
        "5:24-cv-100",
        "--caption",
        "Acme v. Widget",
        "--court",
        "U.S. District Court, N.D. Cal.",
        "--timezone",
        "America/Los_Angeles",
        "--order-title",
        "Stipulated Protective Order",
        "--order-date",
        "2024-03-01",
        "--order-docket",
        "42",
        "--forum-state",
        "California",
    )
    assert created.exit_code == 0, created.output
    assert (
        run(
            cli_env, "matters", "add-party", "5:24-cv-100", "--name", "Acme", "--kind", "plaintiff"
        ).exit_code
        == 0
    )
    CliRunner().invoke(
        main,
        ["users", "create", "lawyer@acme.example", "--name", "L"],
        input="a-long-password-1\na-long-password-1\n",
        env=cli_env,
    )
    added = run(
        cli_env,
        "matters",
        "add-member",
        "5:24-cv-100",
        "--email",
        "lawyer@acme.example",
        "--role",
        "outside_counsel",
        "--party",
        "Acme",
    )
    assert added.exit_code == 0, added.output
    bad_role = run(
        cli_env,
        "matters",
        "add-member",
        "5:24-cv-100",
        "--email",
        "lawyer@acme.example",
        "--role",
        "janitor",
    )
    assert bad_role.exit_code == 2 and "unknown role" in bad_role.output
    bad_zone = run(
        cli_env,
        "matters",
        "create",
        "--case-number",
        "x",
        "--caption",
        "x",
        "--court",
        "x",
        "--timezone",
        "Mars/Olympus",
        "--order-title",
        "x",
        "--order-date",
        "2024-01-01",
        "--order-docket",
        "1",
        "--forum-state",
        "x",
    )
    assert bad_zone.exit_code == 2 and "unknown time zone 'Mars/Olympus'" in bad_zone.output


def test_a_cut_log_is_caught_by_its_ledger_and_by_receipts(cli_env, tmp_path):
    assert run(cli_env, "demo", "--no-serve").exit_code == 0
    old = run(cli_env, "audit", "head").output
    global_size = _size_in(old, "global")
    run(cli_env, "users", "disable", "court@casd.example")  # more entries after the receipt
    new = run(cli_env, "audit", "head").output
    assert _size_in(new, "global") > global_size
    (tmp_path / "old.notes").write_text(old)
    (tmp_path / "new.notes").write_text(new)
    ok = run(
        cli_env,
        "audit",
        "verify",
        "--receipt",
        str(tmp_path / "old.notes"),
        "--receipt",
        str(tmp_path / "new.notes"),
    )
    assert ok.exit_code == 0 and "2 receipt file(s) hold" in ok.output, ok.output
    # someone with database access, but not the key, cuts the newest entries of the
    # instance's log, rebuilds its head from what is left, and removes the checkpoints
    # signed since
    db = Database(cli_env["GATEWAY_DATABASE_URL"])
    with db.engine.begin() as conn:
        log_id = conn.execute(text("SELECT id FROM audit_logs WHERE name = 'global'")).scalar()
        hashes = (
            conn.execute(
                text(
                    "SELECT hash FROM audit_entries WHERE log_id = :l AND log_index < :n"
                    " ORDER BY log_index"
                ),
                {"l": log_id, "n": global_size},
            )
            .scalars()
            .all()
        )
        frontier = Frontier()
        for leaf in hashes:
            frontier.append(bytes.fromhex(leaf))
        conn.execute(
            text("DELETE FROM audit_entries WHERE log_id = :l AND log_index >= :n"),
            {"l": log_id, "n": global_size},
        )
        conn.execute(  # the subtrees that reach past the cut
            text(
                "DELETE FROM audit_nodes WHERE log_id = :l"
                " AND ((key & 1099511627775) + 1)"
                " * (CAST(1 AS BIGINT) << CAST(key >> 40 AS INTEGER)) > :n"
            ),
            {"l": log_id, "n": global_size},
        )
        conn.execute(
            text("DELETE FROM audit_checkpoints WHERE log_id = :l AND size > :n"),
            {"l": log_id, "n": global_size},
        )
        conn.execute(
            text(
                "UPDATE audit_logs SET size = :n, frontier = :f, root = :r, "
                "checkpointed_size = :n WHERE id = :l"
            ),
            {
                "n": global_size,
                "f": json.dumps([h.hex() for h in frontier.hashes]),
                "r": frontier.root().hex(),
                "l": log_id,
            },
        )
    db.dispose()
    # the log of checkpoints still holds the removed checkpoints: the cut shows without
    # any receipt; and a receipt taken away shows it whatever else is rewritten
    alone = run(cli_env, "audit", "verify")
    assert alone.exit_code == 1 and "PROBLEM: checkpoints: " in alone.output, alone.output
    caught = run(cli_env, "audit", "verify", "--receipt", str(tmp_path / "new.notes"))
    assert caught.exit_code == 1, caught.output
    assert (
        "PROBLEM: global: a checkpoint signed" in caught.output and "(it was cut)" in caught.output
    )


def _size_in(notes: str, log: str) -> int:
    for note in split_notes(notes):
        origin, size = note.split("\n")[:2]
        if origin.endswith(f"/{log}"):
            return int(size)
    raise AssertionError(f"no checkpoint of {log}")


def test_storage_sweep_from_the_command_line(cli_env):
    assert run(cli_env, "demo", "--no-serve").exit_code == 0
    dry = run(cli_env, "storage", "sweep", "--dry-run")
    assert dry.exit_code == 0 and "21 blobs examined, 0 unreferenced, 0 removed" in dry.output
    short = run(cli_env, "storage", "sweep", "--older-than-hours", "0.1")
    assert short.exit_code == 2 and "grace" in short.output


def test_audit_stats_prints_the_number_of_entries(cli_env):
    import json

    assert run(cli_env, "demo", "--no-serve").exit_code == 0
    db = Database(cli_env["GATEWAY_DATABASE_URL"])
    with db.engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM audit_entries")).scalar()
    db.dispose()
    result = run(cli_env, "audit", "stats")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)  # one JSON object, nothing else
    assert stats["entries"] == total > 0
    assert sum(stats["by_tag"].values()) == total
