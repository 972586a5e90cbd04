"""Key wrapping binds a key to its kek and its context; key files fail loudly and safely."""

from __future__ import annotations

import base64
import re
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.crypto.keys import (
    KEY_SIZE,
    WRAPPED_SIZE,
    encode_key,
    generate_key,
    key_from_b64,
    load_key_file,
    unwrap_key,
    wrap_key,
    write_key_file,
)
from gateway.errors import ConfigurationError, IntegrityFailure

KEK = bytes(range(32))
KEY = bytes(range(100, 132))
CONTEXT = b"matter:7"


def test_generate_key_is_32_fresh_bytes() -> None:
    keys = {generate_key() for _ in range(100)}

    assert len(keys) == 100
    assert all(len(key) == KEY_SIZE for key in keys)


def test_wrap_round_trips_and_hides_the_key() -> None:
    wrapped = wrap_key(KEK, KEY, context=CONTEXT)

    assert len(wrapped) == WRAPPED_SIZE
    assert wrapped[0] == 1
    assert KEY not in wrapped
    assert unwrap_key(KEK, wrapped, context=CONTEXT) == KEY


def test_each_wrap_uses_a_fresh_nonce() -> None:
    first = wrap_key(KEK, KEY, context=CONTEXT)
    second = wrap_key(KEK, KEY, context=CONTEXT)

    assert first != second
    assert first[1:13] != second[1:13]
    assert unwrap_key(KEK, second, context=CONTEXT) == KEY


def test_another_context_does_not_unwrap() -> None:
    wrapped = wrap_key(KEK, KEY, context=b"matter:7")

    with pytest.raises(IntegrityFailure):
        unwrap_key(KEK, wrapped, context=b"matter:8")
    with pytest.raises(IntegrityFailure):
        unwrap_key(KEK, wrapped, context=b"")


def test_another_kek_does_not_unwrap() -> None:
    wrapped = wrap_key(KEK, KEY, context=CONTEXT)

    with pytest.raises(IntegrityFailure):
        unwrap_key(generate_key(), wrapped, context=CONTEXT)


@settings(deadline=None, max_examples=200)
@given(position=st.integers(0, WRAPPED_SIZE - 1), mask=st.integers(1, 255))
def test_any_changed_byte_fails(position: int, mask: int) -> None:
    wrapped = bytearray(wrap_key(KEK, KEY, context=CONTEXT))
    wrapped[position] ^= mask

    with pytest.raises(IntegrityFailure):
        unwrap_key(KEK, bytes(wrapped), context=CONTEXT)


@pytest.mark.parametrize("cut", [0, 1, 13, WRAPPED_SIZE - 1])
def test_truncated_or_extended_wrapping_fails(cut: int) -> None:
    wrapped = wrap_key(KEK, KEY, context=CONTEXT)

    with pytest.raises(IntegrityFailure, match="malformed"):
        unwrap_key(KEK, wrapped[:cut], context=CONTEXT)
    with pytest.raises(IntegrityFailure, match="malformed"):
        unwrap_key(KEK, wrapped + b"\x00", context=CONTEXT)


def test_unknown_version_is_refused() -> None:
    wrapped = wrap_key(KEK, KEY, context=CONTEXT)

    with pytest.raises(IntegrityFailure, match="malformed"):
        unwrap_key(KEK, b"\x02" + wrapped[1:], context=CONTEXT)


@pytest.mark.parametrize(("kek", "key"), [(KEK[:16], KEY), (KEK, KEY[:31]), (KEK + b"x", KEY)])
def test_wrong_key_sizes_are_programming_errors(kek: bytes, key: bytes) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        wrap_key(kek, key, context=CONTEXT)


def test_key_from_b64_accepts_padding_and_whitespace() -> None:
    text = "\n  " + base64.b64encode(KEY).decode() + "\n"

    assert key_from_b64(text) == KEY
    assert key_from_b64(encode_key(KEY)) == KEY


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not base64 at all!", "not valid base64"),
        (base64.urlsafe_b64encode(b"\xfb\xff" * 16).decode(), "not valid base64"),
        ("ключ", "not valid base64"),
        (base64.b64encode(b"short").decode(), "must decode to 32 bytes, not 5"),
        (base64.b64encode(bytes(64)).decode(), "must decode to 32 bytes, not 64"),
        ("", "must decode to 32 bytes, not 0"),
    ],
)
def test_key_from_b64_errors_are_clear_and_never_echo_the_text(text: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason) as caught:
        key_from_b64(text, source="GATEWAY_MASTER_KEY")

    assert "GATEWAY_MASTER_KEY" in caught.value.message
    assert not text or text not in caught.value.message


def test_key_file_round_trip_is_private(tmp_path: Path) -> None:
    path = tmp_path / "master.key"

    write_key_file(path, KEY)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == encode_key(KEY) + "\n"
    assert load_key_file(path) == KEY


def test_write_key_file_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    write_key_file(path, KEY)

    with pytest.raises(FileExistsError):
        write_key_file(path, generate_key())

    assert load_key_file(path) == KEY


def test_missing_key_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist; create it with `pogw init`"):
        load_key_file(tmp_path / "master.key")


@pytest.mark.parametrize("content", [b"\xff\xfe binary", b"c2hvcnQ=\n"])
def test_bad_key_file_names_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "master.key"
    path.write_bytes(content)

    with pytest.raises(ConfigurationError, match=re.escape(str(path))):
        load_key_file(path)
