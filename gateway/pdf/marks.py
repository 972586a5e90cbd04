"""The forensic mark of one download or page view: who received it, when, and the audit
entry that recorded it, as a line a person reads and a token a machine finds again.

The token names the audit entry (its log and its index there: ``gateway.audit.log.
entry_ref``) and carries a MAC under a key derived from the matter's key, so a token cannot
be made up to point at someone else's download, and a found token is checked before anyone
is named. The reference is not written plainly: it is encrypted (one AES block, with the
matter's id) under that key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MARK_PREFIX = "POGW"
_MAC_HEX = 16  # 64 bits: enough that a guessed token fails, short enough to print
TOKEN = re.compile(rf"{MARK_PREFIX}-([0-9a-f]{{32}})-([0-9a-f]{{{_MAC_HEX}}})")


def mark_key(matter_key: bytes) -> bytes:
    """The MAC key of a matter's marks, derived from (never equal to) the matter's key."""
    return hmac.new(matter_key, b"pogw-forensic-mark-v1", hashlib.sha256).digest()


def make_token(key: bytes, matter_id: int, entry_seq: int) -> str:
    sealed = _seal(key, matter_id, entry_seq)
    return f"{MARK_PREFIX}-{sealed}-{_mac(key, sealed)}"


def check_token(key: bytes, matter_id: int, token: str) -> int | None:
    """The audit entry's ``seq`` if ``token`` is genuine for this matter, else None."""
    found = TOKEN.fullmatch(token)
    if found is None:
        return None
    sealed = found.group(1)
    if not hmac.compare_digest(found.group(2), _mac(key, sealed)):
        return None
    opened = _open(key, sealed)
    if opened is None or opened[0] != matter_id:
        return None
    return opened[1]


def _seal(key: bytes, matter_id: int, entry_seq: int) -> str:
    block = matter_id.to_bytes(8, "big") + entry_seq.to_bytes(8, "big")
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - one block
    return (encryptor.update(block) + encryptor.finalize()).hex()


def _open(key: bytes, sealed: str) -> tuple[int, int] | None:
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()  # noqa: S305 - one block
    block = decryptor.update(bytes.fromhex(sealed)) + decryptor.finalize()
    return int.from_bytes(block[:8], "big"), int.from_bytes(block[8:], "big")


def tokens_in(text: str) -> list[str]:
    """Every token-shaped string in ``text``, in order, without repeats (not yet checked)."""
    return list(dict.fromkeys(m.group(0) for m in TOKEN.finditer(text)))


def _mac(key: bytes, sealed: str) -> str:
    message = f"mark:{sealed}".encode("ascii")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:_MAC_HEX]


@dataclass(frozen=True)
class Mark:
    """What one served copy carries: the recipient, the time, the audit entry's token."""

    name: str
    email: str
    at: datetime
    token: str

    def line(self) -> str:
        """The visible line (ASCII only, so that every standard PDF font can draw it)."""
        when = self.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        who = ascii_text(f"{self.name} <{self.email}>" if self.name else self.email)
        return f"Served to {who} on {when} - {self.token}"


def ascii_text(text: str) -> str:
    """Accents dropped (José -> Jose), anything else without an ASCII form as '?'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.encode("ascii", "replace").decode("ascii")
