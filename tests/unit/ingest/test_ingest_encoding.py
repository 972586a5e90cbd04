from __future__ import annotations

import pytest

from gateway.ingest import LoadFileError, decode_strict, detect_dat_encoding
from gateway.ingest.encoding import detect_opt_encoding

HEADER = "þBEGBATESþ\x14þENDBATESþ\r\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbf" + HEADER.encode("utf-8"), "utf-8-sig"),
        (b"\xff\xfe" + HEADER.encode("utf-16-le"), "utf-16"),
        (HEADER.encode("utf-16-le"), "utf-16-le"),
        (HEADER.encode("utf-8"), "utf-8"),
        (HEADER.encode("cp1252"), "cp1252"),
    ],
    ids=["utf-8-bom", "utf-16le-bom", "utf-16le", "utf-8", "cp1252"],
)
def test_detects_each_supported_encoding(data: bytes, expected: str) -> None:
    assert detect_dat_encoding(data) == expected
    assert decode_strict(data, expected, file="x.dat") == HEADER


@pytest.mark.parametrize(
    "data",
    [
        bytes([0x9C, 0x11, 0xA7, 0x00, 0x42, 0xE1, 0x3F]),  # random bytes
        "Señor Pérez escribió la carta.\r\n".encode("cp1252"),  # Latin text without þ
        b"",
    ],
    ids=["random-bytes", "latin-text", "empty"],
)
def test_refuses_an_encoding_it_cannot_determine(data: bytes) -> None:
    with pytest.raises(LoadFileError) as caught:
        detect_dat_encoding(data, file="VOL001/DATA/VOL001.dat")
    assert caught.value.file == "VOL001/DATA/VOL001.dat"
    assert caught.value.line == 1
    assert str(caught.value).startswith("VOL001/DATA/VOL001.dat:1: cannot determine the encoding: ")


def test_refuses_utf16_big_endian() -> None:
    data = b"\xfe\xff" + HEADER.encode("utf-16-be")
    with pytest.raises(LoadFileError, match="big-endian"):
        detect_dat_encoding(data)


def test_a_comma_delimited_file_gets_a_hint() -> None:
    with pytest.raises(LoadFileError, match="comma-, pipe- or tab-delimited"):
        detect_dat_encoding(b'"BEGBATES","ENDBATES"\r\n')


@pytest.mark.parametrize(
    ("encoding", "bom", "bad"),
    [
        ("utf-8", b"", b"\xff"),
        ("utf-8-sig", b"\xef\xbb\xbf", b"\xff"),
        ("cp1252", b"", b"\x81"),  # 0x81 is undefined in cp1252
    ],
)
def test_an_undecodable_byte_names_its_line_and_offset(
    encoding: str, bom: bytes, bad: bytes
) -> None:
    codec = "cp1252" if encoding == "cp1252" else "utf-8"
    data = bom + "þAþ\r\nþBþ\r\nþC".encode(codec) + bad + "þ\r\nþDþ\r\n".encode(codec)
    with pytest.raises(LoadFileError) as caught:
        decode_strict(data, encoding, file="v.dat")
    error = caught.value
    assert (error.file, error.line) == ("v.dat", 3)
    assert f"at byte offset {data.index(bad)}" in error.reason
    assert str(error).startswith(f"v.dat:3: cannot decode byte(s) {bad.hex().upper()} ")


def test_an_undecodable_utf16_sequence_names_its_line_and_offset() -> None:
    text = "þAþ\r\nþBþ\r\nþC"
    data = b"\xff\xfe" + text.encode("utf-16-le") + b"\x00\xd8" + "xþ\r\n".encode("utf-16-le")
    with pytest.raises(LoadFileError) as caught:
        decode_strict(data, "utf-16", file="v.dat")
    assert caught.value.line == 3
    assert f"at byte offset {2 + 2 * len(text)}" in caught.value.reason


def test_never_replaces_characters() -> None:
    with pytest.raises(LoadFileError):
        decode_strict("þAþ".encode() + b"\xc3", "utf-8", file="v.dat")


def test_an_override_is_still_strict_and_supported_only() -> None:
    assert decode_strict(b"\xef\xbb\xbf\xc3\xbeA", "utf-8", file="v.dat") == "þA"  # BOM dropped
    with pytest.raises(LoadFileError, match="unsupported encoding 'rot13'"):
        decode_strict(b"abc", "rot13", file="v.dat")
    with pytest.raises(LoadFileError, match="unsupported encoding"):
        decode_strict(b"abc", "no-such-codec", file="v.dat")


def test_opt_encoding_follows_the_bom_else_the_caller_else_utf8() -> None:
    assert detect_opt_encoding(b"\xef\xbb\xbfA,", None, file="o") == "utf-8-sig"
    assert detect_opt_encoding(b"\xff\xfeA\x00", None, file="o") == "utf-16"
    assert detect_opt_encoding(b"A,B", None, file="o") == "utf-8"
    assert detect_opt_encoding(b"A,B", "windows-1252", file="o") == "cp1252"
