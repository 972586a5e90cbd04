"""Checking an exported bundle, or a single proof, with the public verifier key alone.

No database, no secret, no network: ``pogw audit verify --bundle DIR`` runs this on a
machine that has never seen the gateway. The bundle's layout (``gateway.audit.bundle``
writes it)::

    verifier.key                    the note verifier key
    manifest.json                   the matter and its logs (read for file names only)
    logs/<log>.jsonl                each entry as canonical JSON with its leaf hash
    logs/<ledger>.jsonl             the log of checkpoints: each signed note as an entry
    checkpoints/<log>/<size>.note   every checkpoint of the log, as signed notes
    proofs/<log>.json               consistency proofs between its successive checkpoints

Nothing in the bundle is trusted but what the key signed: the manifest only says where
files are; every log named in the log of checkpoints must be present; every entry's
position, contents and leaf are checked, and every signed root recomputed. The first
problem names the file, the line and the entry.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.audit import encoding
from gateway.audit.checkpoint import Checkpoint, NoteError, Verifier
from gateway.audit.log import VerifyReport, file_slug, is_ledger
from gateway.audit.merkle import EMPTY_ROOT, Frontier, verify_consistency, verify_inclusion

MANIFEST = "manifest.json"
KEY_FILE = "verifier.key"
FORMAT = "pogw-audit-bundle/1"
LIMIT = 50


class BundleError(ValueError):
    """A bundle that cannot be read at all (no key, no manifest)."""


@dataclass
class _Signed:
    """The roots the key signed for one log, by size, and where each was read."""

    roots: dict[int, bytes] = field(default_factory=dict)
    where: dict[int, str] = field(default_factory=dict)


def _problem(report: VerifyReport, text: str) -> None:
    if len(report.problems) < LIMIT:
        report.problems.append(text)


def _sign_in(signed: _Signed, checkpoint: Checkpoint, where: str, report: VerifyReport) -> None:
    known = signed.roots.get(checkpoint.size)
    if known is not None and known != checkpoint.root:
        _problem(
            report,
            f"{where}: a fork: two signed checkpoints of {checkpoint.origin} at size "
            f"{checkpoint.size} with different roots (the other: {signed.where[checkpoint.size]})",
        )
        return
    signed.roots[checkpoint.size] = checkpoint.root
    signed.where.setdefault(checkpoint.size, where)


def _lines(path: Path, report: VerifyReport) -> Iterator[tuple[int, dict[str, Any], str]]:
    """(line number, object without its leaf, the leaf written beside it)."""
    with path.open("r", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                item = json.loads(line)
            except ValueError:
                _problem(report, f"{path.name} line {number}: not a JSON object")
                return
            if not isinstance(item, dict) or not isinstance(item.get("leaf"), str):
                _problem(report, f"{path.name} line {number}: not an entry with its leaf hash")
                return
            written = item.pop("leaf")
            yield number, item, written


def verify_bundle(folder: Path, trusted: Verifier | None = None) -> VerifyReport:
    """Check the bundle. Its own ``verifier.key`` only says which key it claims: anyone can
    sign a bundle with a key of their own, so the result binds only if that key is the
    gateway's. With ``trusted`` (the key the gateway published, kept by the reader), a
    bundle signed by any other key is refused; ``report.signer`` names the key used."""
    report = VerifyReport()
    verifier = _verifier(folder)
    if trusted is not None and (
        trusted.key_id != verifier.key_id or trusted.text() != verifier.text()
    ):
        raise BundleError(
            f"{folder / KEY_FILE}: the bundle is signed by {verifier.text()}, not by the key "
            f"you trust ({trusted.text()})"
        )
    report.signer = verifier.text()
    manifest = _manifest(folder)
    prefix = manifest.get("origin_prefix", verifier.name)
    names = [entry["name"] for entry in manifest.get("logs", []) if isinstance(entry, dict)]
    ledgers = [n for n in names if is_ledger(n)]
    if len(ledgers) != 1:
        _problem(report, f"{MANIFEST}: the bundle must hold exactly one log of checkpoints")
        return report
    signed: dict[str, _Signed] = {}
    for name in names:
        report.logs += 1
        signed[name] = _read_checkpoints(folder, prefix, name, verifier, report)
    ledger = ledgers[0]
    in_ledger: dict[str, set[int]] = {name: set() for name in names}
    listed = _verify_ledger(folder, prefix, ledger, verifier, signed, in_ledger, report)
    for origin in sorted(listed - {f"{prefix}/{n}" for n in names}):
        _problem(report, f"the log of checkpoints signs {origin}, which the bundle leaves out")
    for name in names:
        # a signed checkpoint anywhere in the bundle counts, those carried by proofs too:
        # a log cut below any of them is cut
        _verify_consistency_proofs(folder, name, verifier, signed[name], report)
    for name in names:
        if is_ledger(name) or not signed[name].roots:
            continue
        newest = max(signed[name].roots)
        if newest not in in_ledger[name]:
            _problem(
                report,
                f"{signed[name].where[newest]}: the newest checkpoint of {name} is not in the "
                "log of checkpoints (the log of checkpoints was cut or rolled back)",
            )
    for name in names:
        if not is_ledger(name):
            _verify_entries(folder, name, signed[name], report)
    return report


def _verifier(folder: Path) -> Verifier:
    try:
        return Verifier.parse((folder / KEY_FILE).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BundleError(f"{folder / KEY_FILE}: the verifier key cannot be read ({exc})") from exc
    except NoteError as exc:
        raise BundleError(f"{folder / KEY_FILE}: {exc}") from exc


def _manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BundleError(f"{folder / MANIFEST}: cannot be read ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{folder / MANIFEST}: not a {FORMAT} bundle")
    return manifest


def _read_checkpoints(
    folder: Path, prefix: str, name: str, verifier: Verifier, report: VerifyReport
) -> _Signed:
    signed = _Signed()
    directory = folder / "checkpoints" / file_slug(name)
    for path in sorted(directory.glob("*.note")) if directory.is_dir() else []:
        where = f"checkpoints/{file_slug(name)}/{path.name}"
        report.checkpoints += 1
        try:
            checkpoint = Checkpoint.open(path.read_text(encoding="utf-8"), verifier)
        except NoteError as exc:
            _problem(report, f"{where}: forged or edited checkpoint: {exc}")
            continue
        if checkpoint.origin != f"{prefix}/{name}":
            _problem(report, f"{where}: a checkpoint of {checkpoint.origin}, not of {name}")
            continue
        _sign_in(signed, checkpoint, where, report)
    if not signed.roots:
        _problem(report, f"{name}: no signed checkpoint in the bundle")
    return signed


def _verify_ledger(
    folder: Path,
    prefix: str,
    ledger: str,
    verifier: Verifier,
    signed: dict[str, _Signed],
    in_ledger: dict[str, set[int]],
    report: VerifyReport,
) -> set[str]:
    """Check the log of checkpoints; fold the checkpoints it holds into ``signed``; return
    the origins it names."""
    origins: set[str] = set()
    path = folder / "logs" / f"{file_slug(ledger)}.jsonl"
    if not path.is_file():
        _problem(report, f"logs/{path.name}: the log of checkpoints is missing")
        return origins
    frontier = Frontier()
    by_origin = {f"{prefix}/{name}": name for name in signed}
    for number, item, written in _lines(path, report):
        where = f"logs/{path.name} line {number}"
        if item.get("i") != frontier.size or not isinstance(item.get("note"), str):
            _problem(report, f"{where}: entry {frontier.size} is missing or out of order")
            return origins
        leaf = encoding.note_leaf(item["note"])
        if leaf.hex() != written:
            _problem(report, f"{where}: entry {frontier.size} was edited")
        frontier.append(leaf)
        report.checked += 1
        try:
            checkpoint = Checkpoint.open(item["note"], verifier)
        except NoteError as exc:
            _problem(report, f"{where}: entry {frontier.size - 1}: forged checkpoint: {exc}")
            continue
        origins.add(checkpoint.origin)
        name = by_origin.get(checkpoint.origin)
        if name is not None:
            _sign_in(signed[name], checkpoint, where, report)
            in_ledger[name].add(checkpoint.size)
        _check_root(frontier, signed[ledger], ledger, path.name, report)
    _check_end(frontier, signed[ledger], ledger, report)
    return origins


# an exported entry's line, as the exporter writes it: canonical JSON, so its keys are
# sorted and ``i`` (the entry's index), ``leaf`` and ``log`` stand next to each other
_FAST = re.compile(rb',"i":(0|[1-9][0-9]*),"leaf":"([0-9a-f]{64})","log":"((?:[^"\\])*)",')


def _verify_entries(folder: Path, name: str, signed: _Signed, report: VerifyReport) -> None:
    """Each line is hashed as written, without its ``leaf`` member: for a line as the
    exporter wrote it those are exactly the canonical bytes the leaf committed to, and any
    other bytes give another hash. Lines are parsed as JSON only to name a problem."""
    path = folder / "logs" / f"{file_slug(name)}.jsonl"
    if not path.is_file():
        _problem(report, f"logs/{path.name}: the entries of {name} are missing")
        return
    frontier = Frontier()
    wanted_log = name.encode()
    sizes = signed.roots
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            index = frontier.size
            found = _FAST.search(line)
            if (
                found is None
                or int(found.group(1)) != index
                or found.group(3) != wanted_log
                or not line.endswith(b"}\n")
            ):
                _slow_problem(path, number, line, name, index, report)
                if found is None or int(found.group(1)) != index or found.group(3) != wanted_log:
                    return
            # the line without ``"leaf":"<hex>",`` and its newline
            cut, resume = found.start(2) - len(b'"leaf":"'), found.end(2) + len(b'",')
            preimage = line[:cut] + line[resume:-1]
            leaf = hashlib.sha256(b"\x00" + preimage).digest()
            if leaf.hex().encode() != found.group(2):
                _problem(
                    report, f"logs/{path.name} line {number}: entry {index} of {name} was edited"
                )
            frontier.push(leaf)
            report.checked += 1
            if frontier.size in sizes:
                _check_root(frontier, signed, name, path.name, report)
    _check_end(frontier, signed, name, report)


def _slow_problem(
    path: Path, number: int, line: bytes, name: str, index: int, report: VerifyReport
) -> None:
    where = f"logs/{path.name} line {number}"
    try:
        item = json.loads(line)
    except ValueError:
        _problem(report, f"{where}: not a JSON object")
        return
    if not isinstance(item, dict) or not isinstance(item.get("leaf"), str):
        _problem(report, f"{where}: not an entry with its leaf hash")
        return
    if item.get("log") != name or item.get("i") != index:
        _problem(
            report,
            f"{where}: entry {index} of {name} is missing or out of order "
            f"(the line holds entry {item.get('i')!r} of {item.get('log')!r})",
        )
        return
    _problem(report, f"{where}: entry {index} of {name} is not written canonically")


def _check_root(
    frontier: Frontier, signed: _Signed, name: str, file: str, report: VerifyReport
) -> None:
    root = signed.roots.get(frontier.size)
    if root is None or root == frontier.root():
        return
    earlier = [s for s in signed.roots if s < frontier.size]
    since = max(earlier) if earlier else 0
    _problem(
        report,
        f"logs/{file}: the first {frontier.size} entries of {name} do not give the root "
        f"signed at that size ({signed.where[frontier.size]}): an entry from {since} to "
        f"{frontier.size - 1} was changed",
    )


def _check_end(frontier: Frontier, signed: _Signed, name: str, report: VerifyReport) -> None:
    for size in sorted(signed.roots):
        if size > frontier.size:
            _problem(
                report,
                f"{name}: {signed.where[size]} signs {size} entries, the bundle holds "
                f"{frontier.size}: entry {frontier.size} onward was cut",
            )
            return
        if size == 0 and signed.roots[size] != EMPTY_ROOT:
            _problem(report, f"{name}: {signed.where[size]} signs an empty log with a root")
    covered = max(signed.roots, default=0)
    if frontier.size > covered:
        _problem(
            report,
            f"{name}: entries {covered} to {frontier.size - 1} are covered by no signed checkpoint",
        )


def _verify_consistency_proofs(
    folder: Path, name: str, verifier: Verifier, signed: _Signed, report: VerifyReport
) -> None:
    path = folder / "proofs" / f"{file_slug(name)}.json"
    if not path.is_file():
        return
    try:
        proofs = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        _problem(report, f"proofs/{path.name}: not JSON")
        return
    for number, proof in enumerate(proofs if isinstance(proofs, list) else [None]):
        where = f"proofs/{path.name} proof {number}"
        problem = check_proof(proof, verifier)
        if not problem and proof.get("log") != name:
            problem = f"a proof of {proof.get('log')!r} among the proofs of {name}"
        if problem:
            _problem(report, f"{where}: {problem}")
            continue
        for key in ("old_checkpoint", "checkpoint"):
            _sign_in(signed, Checkpoint.open(str(proof[key]), verifier), where, report)


def check_proof(proof: Any, verifier: Verifier) -> str:
    """What is wrong with an inclusion or consistency proof ("" if it holds)."""
    if not isinstance(proof, dict):
        return "not a proof"
    try:
        new = Checkpoint.open(str(proof["checkpoint"]), verifier)
        path = [bytes.fromhex(h) for h in proof["path"]]
        log = str(proof["log"])
        if not new.origin.endswith(f"/{log}"):
            return f"the checkpoint is of {new.origin}, not of {log}"
        if proof.get("kind") == "inclusion":
            entry = proof["entry"]
            index, size = int(proof["index"]), int(proof["tree_size"])
            if entry.get("log") != log or entry.get("i") != index:
                return "the entry is not the one the proof is for"
            if size != new.size:
                return "the proof is for another size than its checkpoint's"
            leaf = encoding.leaf(entry)
            if leaf.hex() != proof.get("leaf"):
                return "the entry does not give the leaf hash given"
            if not verify_inclusion(index, size, leaf, path, new.root):
                return f"entry {index} is not in {log} as signed at {size} entries"
            return ""
        if proof.get("kind") == "consistency":
            if "old_checkpoint" not in proof:
                return "add the checkpoint you kept, as old_checkpoint, to check this proof"
            old = Checkpoint.open(str(proof["old_checkpoint"]), verifier)
            if old.origin != new.origin:
                return "the two checkpoints are of different logs"
            if (old.size, new.size) != (int(proof["old_size"]), int(proof["new_size"])):
                return "the sizes are not the checkpoints' sizes"
            if not verify_consistency(old.size, new.size, old.root, new.root, path):
                return (
                    f"{log} at {new.size} entries does not extend {log} at {old.size}: "
                    "the log was rewritten"
                )
            return ""
        return "neither an inclusion nor a consistency proof"
    except NoteError as exc:
        return f"a checkpoint does not hold: {exc}"
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"malformed proof ({exc})"
