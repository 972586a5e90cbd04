"""Key generation, wrapping and loading.

Keys form a hierarchy: the master key (a file in ``keys/``) wraps each matter's key, which
wraps each document's data key. Wrapping is AES-256-GCM with the caller's ``context`` as
associated data, so a wrapped key moved to another row (another matter, another document)
no longer unwraps: the context binds it to where it belongs.

Wrapped format: version (1 byte) || nonce (12) || ciphertext (32) || tag (16). The
version byte is authenticated too, so it cannot be swapped for a future format's.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.errors import ConfigurationError, IntegrityFailure

KEY_SIZE = 32
_VERSION = b"\x01"
_NONCE_SIZE = 12
_TAG_SIZE = 16
WRAPPED_SIZE = len(_VERSION) + _NONCE_SIZE + KEY_SIZE + _TAG_SIZE


def generate_key() -> bytes:
    """32 bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(KEY_SIZE)


def _check_key(name: str, key: bytes) -> None:
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_SIZE:
        raise ValueError(f"{name} must be {KEY_SIZE} bytes")


def wrap_key(kek: bytes, key: bytes, *, context: bytes) -> bytes:
    """Encrypt ``key`` under the key-encryption key ``kek``, bound to ``context``."""
    _check_key("kek", kek)
    _check_key("key", key)
    nonce = os.urandom(_NONCE_SIZE)  # random: a kek wraps far fewer than 2**32 keys
    return _VERSION + nonce + AESGCM(kek).encrypt(nonce, bytes(key), _VERSION + context)


def unwrap_key(kek: bytes, wrapped: bytes, *, context: bytes) -> bytes:
    """Inverse of ``wrap_key``; ``IntegrityFailure`` if the kek, the context or any byte
    of ``wrapped`` is not what it was at wrapping time."""
    _check_key("kek", kek)
    if len(wrapped) != WRAPPED_SIZE or wrapped[:1] != _VERSION:
        raise IntegrityFailure("wrapped key is malformed")
    nonce = wrapped[1 : 1 + _NONCE_SIZE]
    try:
        return AESGCM(kek).decrypt(nonce, wrapped[1 + _NONCE_SIZE :], _VERSION + context)
    except InvalidTag:
        raise IntegrityFailure("wrapped key failed authentication") from None


def encode_key(key: bytes) -> str:
    """Base64 text of a key, as stored in key files and environment variables."""
    _check_key("key", key)
    return base64.b64encode(key).decode("ascii")


def key_from_b64(text: str, *, source: str = "key") -> bytes:
    """Decode a base64 key of exactly 32 bytes.

    Errors name ``source`` (a file or variable name) but never echo the text: a key that
    is almost right is still a secret.
    """
    try:
        key = base64.b64decode(text.strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ConfigurationError(f"{source} is not valid base64") from None
    if len(key) != KEY_SIZE:
        raise ConfigurationError(
            f"{source} must decode to {KEY_SIZE} bytes, not {len(key)}; "
            "generate a new one with `pogw init`"
        )
    return key


def load_key_file(path: Path | str) -> bytes:
    """Read a base64 key file written by ``write_key_file``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise ConfigurationError(
            f"key file {path} does not exist; create it with `pogw init`"
        ) from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"key file {path} is not valid base64") from None
    return key_from_b64(text, source=f"key file {path}")


def write_key_file(path: Path | str, key: bytes) -> None:
    """Create ``path`` (mode 0600) holding ``key`` in base64; never overwrite one.

    Overwriting a master key would make every wrapped key unreadable, so an existing
    file is an error (``FileExistsError``) rather than something to replace.
    """
    data = (encode_key(key) + "\n").encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
