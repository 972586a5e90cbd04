"""Signed checkpoints in the C2SP formats: tlog-checkpoint inside a signed note.

A checkpoint's body is three lines, the log's origin, its size in leaves, and its root
hash in base64::

    pogw.example/matter/3/party/7
    1042
    x6h2...=

followed by a blank line and one signature line per signer, ``— <key name> <base64 of the
4-byte key id and the 64-byte Ed25519 signature>``. The key id is the first four bytes of
SHA-256(key name, a newline, 0x01, the public key), and a verifier key is written as
``<name>+<key id in hex>+<base64 of 0x01 and the public key>``: the formats the
transparency-log tools read (c2sp.org/signed-note, c2sp.org/tlog-checkpoint).

Pure: no database. The gateway signs every log with one key, so the key's name is the
gateway's, and each origin names the gateway and the log.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
SIGNATURE_DASH = "\u2014 "
MAX_NOTE_BYTES = 1_000_000


class NoteError(ValueError):
    """A note or checkpoint that cannot be read or whose signature does not hold."""


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, public: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + _raw(public)).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteError(f"key name {name!r}: must be non-empty, with no space and no '+'")


@dataclass(frozen=True)
class Verifier:
    """A public key with its name: what a witness or an auditor keeps."""

    name: str
    public: Ed25519PublicKey

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public)

    def text(self) -> str:
        raw = base64.b64encode(bytes([ED25519]) + _raw(self.public)).decode()
        return f"{self.name}+{self.key_id.hex()}+{raw}"

    @classmethod
    def parse(cls, text: str) -> Verifier:
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key is <name>+<key id>+<key>")
        name, hexid, b64 = parts
        _check_name(name)
        try:
            raw = base64.b64decode(b64, validate=True)
            wanted = bytes.fromhex(hexid)
        except (binascii.Error, ValueError) as exc:
            raise NoteError(f"verifier key {name}: not hex and base64 ({exc})") from exc
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError(f"verifier key {name}: not an Ed25519 key")
        verifier = cls(name, Ed25519PublicKey.from_public_bytes(raw[1:]))
        if verifier.key_id != wanted:
            raise NoteError(f"verifier key {name}: its key id does not match the key")
        return verifier


@dataclass(frozen=True)
class Signer:
    name: str
    private: Ed25519PrivateKey

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.private.public_key())

    def sign(self, body: str) -> str:
        """The signed note: ``body`` (ending in a newline), a blank line, the signature."""
        if not body.endswith("\n") or "\n\n" in body:
            raise NoteError("a note's body ends with one newline and has no blank line")
        signature = self.private.sign(body.encode())
        blob = base64.b64encode(self.verifier.key_id + signature).decode()
        return f"{body}\n{SIGNATURE_DASH}{self.name} {blob}\n"


def open_note(text: str, verifier: Verifier) -> str:
    """The body of a note that carries a valid signature by ``verifier``; ``NoteError``
    otherwise (signatures by other keys are ignored, as the format says)."""
    if len(text.encode()) > MAX_NOTE_BYTES:
        raise NoteError("the note is too large")
    body, sep, signatures = text.rpartition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise NoteError("not a signed note: no blank line before the signatures")
    body += "\n"
    for line in signatures[:-1].split("\n"):
        if not line.startswith(SIGNATURE_DASH):
            raise NoteError(f"not a signature line: {line[:60]!r}")
        name, _, blob = line[len(SIGNATURE_DASH) :].partition(" ")
        if name != verifier.name:
            continue
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error as exc:
            raise NoteError(f"signature by {name}: not base64") from exc
        if len(raw) != 4 + 64 or raw[:4] != verifier.key_id:
            continue
        try:
            verifier.public.verify(raw[4:], body.encode())
        except InvalidSignature as exc:
            raise NoteError(f"the signature by {name} does not hold for this text") from exc
        return body
    raise NoteError(f"the note carries no signature by {verifier.name}")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    def sign(self, signer: Signer) -> str:
        return signer.sign(self.body())

    @classmethod
    def parse_body(cls, body: str) -> Checkpoint:
        lines = body.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("a checkpoint has an origin, a size and a root hash, a line each")
        origin, size_text, root_text = lines[0], lines[1], lines[2]
        if (
            not origin
            or not size_text.isdigit()
            or len(size_text) > 19
            or (size_text != "0" and size_text[0] == "0")
        ):
            raise NoteError(f"checkpoint of {origin!r}: size {size_text!r} is not a number")
        try:
            root = base64.b64decode(root_text, validate=True)
        except binascii.Error as exc:
            raise NoteError(f"checkpoint of {origin}: the root is not base64") from exc
        if len(root) != 32:
            raise NoteError(f"checkpoint of {origin}: the root is not a SHA-256 hash")
        return cls(origin, int(size_text), root)

    @classmethod
    def open(cls, text: str, verifier: Verifier) -> Checkpoint:
        """A checkpoint whose signature by ``verifier`` holds; ``NoteError`` otherwise."""
        return cls.parse_body(open_note(text, verifier))


def split_notes(text: str) -> list[str]:
    """The signed notes in ``text``, one after another (a receipt file, a witness's log)."""
    notes: list[str] = []
    current: list[str] = []
    in_signatures = False
    for line in text.splitlines(keepends=True):
        if in_signatures and not line.startswith(SIGNATURE_DASH):
            notes.append("".join(current))
            current, in_signatures = [], False
        if not line.strip() and not in_signatures and current:
            in_signatures = True
        if line.strip() or in_signatures:
            current.append(line)
    if current:
        notes.append("".join(current))
    return notes
