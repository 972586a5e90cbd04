"""Signed notes and checkpoints in the C2SP text formats."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gateway.audit.checkpoint import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    open_note,
    split_notes,
)


@pytest.fixture()
def signer() -> Signer:
    return Signer("pogw.example", Ed25519PrivateKey.generate())


def test_the_note_has_the_formats_layout(signer: Signer) -> None:
    root = hashlib.sha256(b"root").digest()
    text = Checkpoint("pogw.example/matter/1/court", 12, root).sign(signer)
    body, signature = text.split("\n\n")
    assert body == f"pogw.example/matter/1/court\n12\n{base64.b64encode(root).decode()}"
    assert signature.startswith("\u2014 pogw.example ")
    blob = base64.b64decode(signature.split(" ")[2])
    public = signer.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    # key id: SHA-256(name || "\n" || 0x01 || key)[:4], then the 64-byte signature
    assert blob[:4] == hashlib.sha256(b"pogw.example\n\x01" + public).digest()[:4]
    assert len(blob) == 68
    signer.private.public_key().verify(blob[4:], (body + "\n").encode())
    opened = Checkpoint.open(text, signer.verifier)
    assert (opened.origin, opened.size, opened.root) == ("pogw.example/matter/1/court", 12, root)


def test_the_verifier_key_round_trips_and_checks_its_id(signer: Signer) -> None:
    text = signer.verifier.text()
    name, hexid, key = text.split("+", 2)
    assert name == "pogw.example" and len(hexid) == 8
    assert base64.b64decode(key)[0] == 1
    assert Verifier.parse(text).key_id == signer.verifier.key_id
    wrong = f"{name}+00000000+{key}"
    with pytest.raises(NoteError, match="key id"):
        Verifier.parse(wrong)
    with pytest.raises(NoteError):
        Verifier.parse("no-plus-signs")


def test_a_changed_or_foreign_note_is_refused(signer: Signer) -> None:
    text = Checkpoint("pogw.example/global", 3, bytes(32)).sign(signer)
    edited = text.replace("\n3\n", "\n4\n")
    with pytest.raises(NoteError, match="does not hold"):
        open_note(edited, signer.verifier)
    other = Signer("pogw.example", Ed25519PrivateKey.generate())
    with pytest.raises(NoteError, match="no signature"):
        open_note(text, other.verifier)
    with pytest.raises(NoteError, match="blank line"):
        open_note(text.replace("\n\n", "\n"), signer.verifier)
    # a second signature by someone else (a witness's cosignature) is ignored
    cosigned = text + "\u2014 witness.example " + base64.b64encode(bytes(68)).decode() + "\n"
    assert Checkpoint.open(cosigned, signer.verifier).size == 3


@pytest.mark.parametrize(
    "body",
    [
        "origin\n007\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n1\n" + base64.b64encode(bytes(31)).decode() + "\n",
        "origin\n1\n",
    ],
)
def test_malformed_checkpoints_are_refused(signer: Signer, body: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.open(signer.sign(body), signer.verifier)


def test_key_names_with_spaces_or_plus_are_refused() -> None:
    with pytest.raises(NoteError):
        Signer("a b", Ed25519PrivateKey.generate())
    with pytest.raises(NoteError):
        Signer("a+b", Ed25519PrivateKey.generate())


def test_notes_written_one_after_another_are_told_apart(signer: Signer) -> None:
    notes = [Checkpoint(f"pogw.example/log{i}", i, bytes(32)).sign(signer) for i in range(3)]
    assert split_notes("".join(notes)) == notes
    assert split_notes("\n".join(notes) + "\n") == notes
