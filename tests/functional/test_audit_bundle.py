"""An exported bundle verifies offline, and every kind of tampering is caught and named."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from gateway.audit import encoding
from gateway.audit.bundle import export_bundle
from gateway.audit.checkpoint import Checkpoint, Verifier
from gateway.audit.events import Actor
from gateway.audit.log import file_slug, log_name
from gateway.audit.offline import check_proof, verify_bundle
from gateway.cli import main
from gateway.matters.models import Party
from tests import factories
from tests.helpers import api_get, token_for

EX18 = "AOL-DEF-00528691"
CONF = "AOL-DEF-00556923"
PLAINTIFFS = "counsel@plaintiffs.example"


@pytest.fixture
def bundle(rt, demo, tmp_path) -> Path:
    for bates in (EX18, CONF, EX18):
        factories.download(rt, demo, PLAINTIFFS, bates)
    factories.download(rt, demo, "counsel@defendants.example", "AOL-PLTF-00000001")
    out = tmp_path / "bundle"
    export_bundle(rt, demo, out, Actor.command_line())
    return out


def _plaintiffs(rt, matter_id) -> str:
    with rt.db.session() as session:
        party = session.scalar(
            select(Party.id).where(Party.matter_id == matter_id, Party.kind == "plaintiff")
        )
    return log_name(matter_id, party)


def _copy(bundle: Path, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(bundle, target)
    return target


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _first(folder: Path) -> str:
    report = verify_bundle(folder)
    assert not report.ok, "the tampering was not caught"
    return report.problems[0]


def test_the_intact_bundle_verifies_and_holds_the_export_itself(rt, demo, bundle):
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    manifest = json.loads((bundle / "manifest.json").read_text())
    names = {log["name"] for log in manifest["logs"]}
    assert {f"matter/{demo}/court", f"matter/{demo}/checkpoints", _plaintiffs(rt, demo)} <= names
    assert "global" not in names, "sign-ins are outside any matter"
    court = _lines(bundle / "logs" / f"{file_slug(f'matter/{demo}/court')}.jsonl")
    assert json.loads(court[-1])["tag"] == "audit:export", "the export is in its own bundle"
    entries = sum(len(_lines(bundle / "logs" / f"{file_slug(n)}.jsonl")) for n in names)
    assert report.checked == entries
    # each line is the canonical encoding its leaf commits to, with the leaf beside it
    line = json.loads(court[0])
    leaf = line.pop("leaf")
    assert encoding.leaf(line).hex() == leaf
    assert (bundle / "verifier.key").read_text().strip() == rt.audit_log.signer.verifier.text()


def test_every_kind_of_tampering_is_caught_and_named(rt, demo, bundle, tmp_path):
    name = _plaintiffs(rt, demo)
    log_file = f"logs/{file_slug(name)}.jsonl"

    edited = _copy(bundle, tmp_path, "edited")
    lines = _lines(edited / log_file)
    # the first of counsel's downloads: who downloaded is what someone would change
    k = next(i for i, line in enumerate(lines) if json.loads(line)["actor_email"] == PLAINTIFFS)
    lines[k] = lines[k].replace(f'"actor_email":"{PLAINTIFFS}"', '"actor_email":"x@y.example"')
    (edited / log_file).write_text("".join(lines))
    assert _first(edited) == f"{log_file} line {k + 1}: entry {k} of {name} was edited"

    byte = _copy(bundle, tmp_path, "byte")
    raw = bytearray((byte / log_file).read_bytes())
    at = raw.index(b'"leaf":"') + 10
    raw[at] = ord("0") if raw[at] != ord("0") else ord("1")
    (byte / log_file).write_bytes(bytes(raw))
    assert _first(byte).startswith(f"{log_file} line 1: entry 0 of {name} was edited")

    dropped = _copy(bundle, tmp_path, "dropped")
    lines = _lines(dropped / log_file)
    (dropped / log_file).write_text("".join(lines[:1] + lines[2:]))
    assert _first(dropped).startswith(f"{log_file} line 2: entry 1 of {name} is missing or out of")

    swapped = _copy(bundle, tmp_path, "swapped")
    lines = _lines(swapped / log_file)
    lines[1], lines[2] = lines[2], lines[1]
    (swapped / log_file).write_text("".join(lines))
    assert _first(swapped).startswith(f"{log_file} line 2: entry 1 of {name} is missing or out of")

    cut = _copy(bundle, tmp_path, "cut")
    lines = _lines(cut / log_file)
    (cut / log_file).write_text("".join(lines[:-2]))
    problem = _first(cut)
    assert problem.startswith(f"{name}: checkpoints/") and "was cut" in problem
    assert f"entry {len(lines) - 2} onward" in problem

    # an entry rewritten together with its leaf: only the signed root shows it
    rewritten = _copy(bundle, tmp_path, "rewritten")
    lines = _lines(rewritten / log_file)
    item = json.loads(lines[1])
    item.pop("leaf")
    item["actor_email"] = "someone@plaintiffs.example"
    lines[1] = encoding.export_line(item, encoding.leaf(item)) + "\n"
    (rewritten / log_file).write_text("".join(lines))
    problem = _first(rewritten)
    assert "do not give the root signed at that size" in problem and name in problem

    forged = _copy(bundle, tmp_path, "forged")
    notes = sorted((forged / "checkpoints" / file_slug(name)).glob("*.note"))
    text = notes[-1].read_text()
    origin, size, root = text.split("\n")[:3]
    notes[-1].write_text(text.replace(f"{origin}\n{size}\n", f"{origin}\n{int(size) + 1}\n"))
    problem = _first(forged)
    assert problem.startswith(f"checkpoints/{file_slug(name)}/{notes[-1].name}: forged or edited")

    # the operator, who holds the key, signs a second history of the same size: a fork
    fork = _copy(bundle, tmp_path, "fork")
    other = Checkpoint(origin, int(size), bytes(32)).sign(rt.audit_log.signer)
    (fork / "checkpoints" / file_slug(name) / f"{size}.fork.note").write_text(other)
    problem = _first(fork)
    assert "a fork: two signed checkpoints" in problem and f"at size {size}" in problem

    # a whole log left out of the bundle (and of its manifest)
    missing = _copy(bundle, tmp_path, "missing")
    manifest = json.loads((missing / "manifest.json").read_text())
    manifest["logs"] = [log for log in manifest["logs"] if log["name"] != name]
    (missing / "manifest.json").write_text(json.dumps(manifest))
    (missing / log_file).unlink()
    shutil.rmtree(missing / "checkpoints" / file_slug(name))
    assert _first(missing) == (
        f"the log of checkpoints signs {origin}, which the bundle leaves out"
    )

    # a consistency proof that was bent
    proofs = bundle / "proofs" / f"{file_slug(f'matter/{demo}/checkpoints')}.json"
    if json.loads(proofs.read_text()):
        bent = _copy(bundle, tmp_path, "bent")
        target = bent / proofs.relative_to(bundle)
        items = json.loads(target.read_text())
        items[0]["path"] = [bytes(32).hex()] + items[0]["path"][1:]
        target.write_text(json.dumps(items))
        assert "the log was rewritten" in _first(bent)


def test_the_command_line_contract_needs_nothing_but_the_bundle(rt, demo, bundle, tmp_path):
    """`pogw audit verify --bundle DIR` in a fresh process, away from the instance and its
    keys: exit 0 for the bundle as written, non-zero naming the entry once edited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_KEYS_PATH"] = str(tmp_path / "no-keys-here")
    env["GATEWAY_INSTANCE_PATH"] = str(tmp_path / "no-instance-here")
    command = [
        sys.executable,
        "-c",
        "from gateway.cli import main; main()",
        "audit",
        "verify",
        "--bundle",
    ]
    ok = subprocess.run([*command, str(bundle)], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "intact" in ok.stdout
    assert not (tmp_path / "no-keys-here").exists() and not (tmp_path / "no-instance-here").exists()
    name = _plaintiffs(rt, demo)
    edited = _copy(bundle, tmp_path, "edited-cli")
    path = edited / "logs" / f"{file_slug(name)}.jsonl"
    path.write_text(
        path.read_text().replace(f'"actor_email":"{PLAINTIFFS}"', '"actor_email":"x@y"', 1)
    )
    bad = subprocess.run([*command, str(edited)], env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert f" of {name} was edited" in bad.stdout and "first problem" in bad.stdout


def test_an_inclusion_proof_from_the_gateway_checks_offline(rt, demo, bundle, tmp_path):
    from gateway.audit import proofs
    from gateway.audit.models import AuditEntry

    with rt.db.session() as session:
        download = session.scalar(
            select(AuditEntry).where(
                AuditEntry.bates == CONF, AuditEntry.tag == "document:download"
            )
        )
        proof = proofs.inclusion(rt, session, download)
    verifier = Verifier.parse((bundle / "verifier.key").read_text())
    assert proof["verified"] and check_proof(proof, verifier) == ""
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    result = CliRunner().invoke(
        main,
        [
            "audit",
            "verify",
            "--proof",
            str(tmp_path / "proof.json"),
            "--key",
            str(bundle / "verifier.key"),
        ],
    )
    assert result.exit_code == 0 and "1 proof(s) hold" in result.output, result.output
    # the same proof for another entry's contents does not hold
    proof["entry"] = {**proof["entry"], "actor_email": "someone@else.example"}
    proof["leaf"] = encoding.leaf(proof["entry"]).hex()
    assert "is not in" in check_proof(proof, verifier)
    (tmp_path / "bad.json").write_text(json.dumps(proof))
    result = CliRunner().invoke(
        main,
        [
            "audit",
            "verify",
            "--proof",
            str(tmp_path / "bad.json"),
            "--key",
            str(bundle / "verifier.key"),
        ],
    )
    assert result.exit_code == 1 and "is not in" in result.output


def test_export_refuses_a_folder_that_is_not_empty(rt, demo, tmp_path):
    from gateway.errors import BadRequest

    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(BadRequest, match="not empty"):
        export_bundle(rt, demo, tmp_path / "used", Actor.command_line())


def test_a_bundle_resigned_with_another_key_is_refused_against_the_published_one(
    rt, demo, bundle, tmp_path
):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from gateway.audit.checkpoint import Signer
    from gateway.audit.offline import BundleError

    forged = _copy(bundle, tmp_path, "resigned")
    impostor = Signer(rt.audit_log.signer.name, Ed25519PrivateKey.generate())
    for note in forged.glob("checkpoints/*/*.note"):
        body = note.read_text().split("\n\n")[0] + "\n"
        note.write_text(impostor.sign(body))
    ledger = forged / "logs" / f"{file_slug(f'matter/{demo}/checkpoints')}.jsonl"
    lines = []
    for line in _lines(ledger):
        item = json.loads(line)
        item.pop("leaf")
        item["note"] = impostor.sign(item["note"].split("\n\n")[0] + "\n")
        lines.append(encoding.export_line(item, encoding.note_leaf(item["note"])) + "\n")
    ledger.write_text("".join(lines))
    shutil.rmtree(forged / "proofs")
    (forged / "verifier.key").write_text(impostor.verifier.text() + "\n")
    # re-signed whole, it holds together under the key it carries, which says so ...
    claimed = verify_bundle(forged)
    assert claimed.signer == impostor.verifier.text() != rt.audit_log.signer.verifier.text()
    # ... and is refused against the gateway's published key
    with pytest.raises(BundleError, match="not by the key you trust"):
        verify_bundle(forged, rt.audit_log.signer.verifier)
    (tmp_path / "published.key").write_text(rt.audit_log.signer.verifier.text())
    result = CliRunner().invoke(
        main,
        ["audit", "verify", "--bundle", str(forged), "--key", str(tmp_path / "published.key")],
    )
    assert result.exit_code == 1 and "not by the key you trust" in result.output
    ok = CliRunner().invoke(
        main,
        ["audit", "verify", "--bundle", str(bundle), "--key", str(tmp_path / "published.key")],
    )
    assert ok.exit_code == 0 and rt.audit_log.signer.verifier.text() in ok.output


def test_a_log_cut_back_with_its_log_of_checkpoints_is_caught(rt, demo, tmp_path, client, clock):
    """The log of checkpoints rolled back to an earlier signed size, and one party's log cut
    to match it, while the other logs stay as exported: the other logs' newest checkpoints
    are missing from the log of checkpoints."""
    token = token_for(client, "auditor@audit.example")
    factories.download(rt, demo, PLAINTIFFS, EX18)
    clock.advance(seconds=rt.settings["AUDIT_CHECKPOINT_SECONDS"])  # the reading signs anew
    assert api_get(client, token, f"/matters/{demo}/audit").status_code == 200
    factories.download(rt, demo, PLAINTIFFS, CONF)
    clock.advance(seconds=rt.settings["AUDIT_CHECKPOINT_SECONDS"])
    out = tmp_path / "rolled"
    export_bundle(rt, demo, out, Actor.command_line())
    ledger_name_ = f"matter/{demo}/checkpoints"
    ledger = out / "logs" / f"{file_slug(ledger_name_)}.jsonl"
    ledger_notes = sorted(
        (out / "checkpoints" / file_slug(ledger_name_)).glob("*.note"),
        key=lambda p: int(p.stem),
    )
    assert len(ledger_notes) >= 2
    keep = int(ledger_notes[-2].stem)
    lines = _lines(ledger)[:keep]
    ledger.write_text("".join(lines))
    for note in ledger_notes[-1:]:
        note.unlink()
    name = _plaintiffs(rt, demo)
    signed_then = max(
        Checkpoint.open(json.loads(line)["note"], rt.audit_log.signer.verifier).size
        for line in lines
        if f"/{name}\n" in json.loads(line)["note"]
    )
    log_file = out / "logs" / f"{file_slug(name)}.jsonl"
    log_file.write_text("".join(_lines(log_file)[:signed_then]))
    for note in (out / "checkpoints" / file_slug(name)).glob("*.note"):
        if int(note.stem) > signed_then:
            note.unlink()
    shutil.rmtree(out / "proofs")
    report = verify_bundle(out, rt.audit_log.signer.verifier)
    assert not report.ok
    assert any("is not in the log of checkpoints" in p for p in report.problems), report.problems
