"""The gateway's three long-lived secrets, read from ``keys/`` or from the environment.

``pogw init`` is the only code that creates key files, and it says what it created. Every
other entry point loads them and refuses to run when one is missing: a key generated
silently would encrypt documents nobody can later decrypt.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gateway.crypto.keys import key_from_b64
from gateway.errors import ConfigurationError

MASTER_KEY_FILE = "master.key"
AUDIT_KEY_FILE = "audit-signing.key"
SESSION_KEY_FILE = "session.key"


@dataclass(frozen=True)
class Keyring:
    master_key: bytes
    audit_signing_key: Ed25519PrivateKey
    session_key: bytes

    @property
    def audit_verify_key(self) -> Ed25519PublicKey:
        return self.audit_signing_key.public_key()


def _read(keys_path: Path, name: str, settings: dict[str, Any], env_name: str) -> tuple[str, str]:
    if settings.get(env_name):
        return str(settings[env_name]), f"GATEWAY_{env_name}"
    path = keys_path / name
    if not path.exists():
        raise ConfigurationError(
            f"missing key file {path}: run `pogw init` to create the keys "
            f"(or set GATEWAY_{env_name})"
        )
    if path.stat().st_mode & 0o077:
        raise ConfigurationError(f"{path} is readable by others: chmod 600 it")
    return path.read_text(encoding="ascii"), str(path)


def load_keyring(settings: dict[str, Any]) -> Keyring:
    keys_path = Path(settings["KEYS_PATH"])
    master_text, master_origin = _read(keys_path, MASTER_KEY_FILE, settings, "MASTER_KEY")
    audit_text, audit_origin = _read(keys_path, AUDIT_KEY_FILE, settings, "AUDIT_SIGNING_KEY")
    session_text, session_origin = _read(keys_path, SESSION_KEY_FILE, settings, "SESSION_KEY")
    try:
        audit_key = serialization.load_pem_private_key(audit_text.encode("ascii"), password=None)
    except ValueError as exc:
        raise ConfigurationError(f"{audit_origin}: not a PEM private key") from exc
    if not isinstance(audit_key, Ed25519PrivateKey):
        raise ConfigurationError(f"{audit_origin}: expected an Ed25519 key")
    return Keyring(
        master_key=key_from_b64(master_text, source=master_origin),
        audit_signing_key=audit_key,
        session_key=key_from_b64(session_text, source=session_origin),
    )


def _write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)


def init_keys(keys_path: Path) -> list[Path]:
    """Create whichever key files are missing; never overwrite one. Returns those created."""
    keys_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    created: list[Path] = []
    for name in (MASTER_KEY_FILE, SESSION_KEY_FILE):
        path = keys_path / name
        if not path.exists():
            _write_secret(path, base64.b64encode(secrets.token_bytes(32)).decode("ascii") + "\n")
            created.append(path)
    audit_path = keys_path / AUDIT_KEY_FILE
    if not audit_path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_secret(audit_path, pem.decode("ascii"))
        created.append(audit_path)
    return created
