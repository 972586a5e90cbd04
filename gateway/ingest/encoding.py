"""Detecting and strictly decoding the encodings load files come in.

Concordance delimiters are *characters* (þ U+00FE, U+0014, ® U+00AE): their bytes depend on
the encoding, which is why a DAT's first bytes tell it. A wrong guess would not fail loudly,
it would silently turn names into mojibake in a court record, so anything not recognised is
refused and nothing is ever decoded with replacement characters.
"""

from __future__ import annotations

import codecs

from gateway.ingest.errors import LoadFileError

QUALIFIER = "\u00fe"  # þ: encloses every DAT field
SEPARATOR = "\u0014"  # DC4: between DAT fields
NEWLINE = "\u00ae"  # ®: stands for a line break inside a DAT field
CRLF = "\r\n"

#: The encodings a load file may be read in (Python codec names, as ``codecs.lookup`` spells them).
SUPPORTED_ENCODINGS = ("utf-8-sig", "utf-8", "utf-16", "utf-16-le", "cp1252")

_UTF8_BOM = codecs.BOM_UTF8
_UTF16LE_BOM = codecs.BOM_UTF16_LE
_UTF16BE_BOM = codecs.BOM_UTF16_BE


def canonical_encoding(encoding: str, *, file: str) -> str:
    """The codec name for ``encoding``, refusing anything outside :data:`SUPPORTED_ENCODINGS`."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = ""
    if name not in SUPPORTED_ENCODINGS:
        raise LoadFileError(
            f"unsupported encoding {encoding!r}: use one of {', '.join(SUPPORTED_ENCODINGS)}",
            file=file,
        )
    return name


def detect_dat_encoding(data: bytes, *, file: str = "<dat>") -> str:
    """Tell a DAT's encoding from its first bytes, which must be a BOM or the þ qualifier."""
    if data.startswith(_UTF8_BOM):
        return "utf-8-sig"
    if data.startswith(_UTF16LE_BOM):
        return "utf-16"
    if data.startswith(b"\xfe\x00"):
        return "utf-16-le"
    if data.startswith(b"\xc3\xbe"):
        return "utf-8"
    if data.startswith(_UTF16BE_BOM):
        raise _undetermined("it starts with FE FF, a UTF-16 big-endian byte order mark", file)
    if len(data) >= 2 and data[0] == 0xFE:
        return _single_byte(data, file)
    return _refuse_undetermined(data, file)


# In a single-byte DAT, þ (FE), ® (AE) and U+0014 (14) sit where cp1252 and Latin-1 put
# them; every other byte above 7F means a code page that the bytes cannot name.
_DELIMITER_BYTES = frozenset({0xFE, 0xAE})


def _single_byte(data: bytes, file: str) -> str:
    """cp1252 only when nothing but ASCII and the delimiters is in the file; otherwise the
    code page (cp1252? cp1251? UTF-8 written as single bytes?) is the producer's to say."""
    for offset, byte in enumerate(data):
        if byte > 0x7F and byte not in _DELIMITER_BYTES:
            line = data.count(b"\r\n", 0, offset) + 1
            raise LoadFileError(
                f"cannot determine the encoding: a single-byte file with byte "
                f"{byte:02X} at offset {offset}, which means different letters in different "
                "code pages; give the encoding explicitly (e.g. --encoding cp1252)",
                file=file,
                line=line,
            )
    return "cp1252"


def _refuse_undetermined(data: bytes, file: str) -> str:
    if not data:
        raise _undetermined("the file is empty", file)
    first = data[:1]
    hint = ""
    if first in (b'"', b"|", b"^", b"~", b"\t") or data[:1].isalnum():
        # The usual culprit: a comma/pipe/tab-delimited export offered as a Concordance DAT.
        hint = "; is it a comma-, pipe- or tab-delimited file rather than a Concordance DAT?"
    raise _undetermined(
        f"a Concordance DAT starts with a byte order mark or the field qualifier þ (U+00FE); "
        f"this file starts with bytes {data[:4].hex(' ').upper()}{hint}",
        file,
    )


def _undetermined(why: str, file: str) -> LoadFileError:
    return LoadFileError(f"cannot determine the encoding: {why}", file=file, line=1)


def detect_opt_encoding(data: bytes, encoding: str | None, *, file: str) -> str:
    """An OPT is ASCII in practice: a BOM decides, else the caller's choice, else UTF-8."""
    if encoding is not None:
        return canonical_encoding(encoding, file=file)
    if data.startswith(_UTF8_BOM):
        return "utf-8-sig"
    if data.startswith(_UTF16LE_BOM):
        return "utf-16"
    return "utf-8"


def decode_strict(data: bytes, encoding: str, *, file: str, line_break: str = CRLF) -> str:
    """Decode ``data`` or fail naming the line (counted by ``line_break``) and byte offset.

    A leading byte order mark is dropped whatever the encoding, so that an override such as
    ``utf-8`` on a file that carries a BOM still reads the first field name correctly.
    """
    name = canonical_encoding(encoding, file=file)
    codec, start = _strip_bom(data, name)
    try:
        text = data[start:].decode(codec, errors="strict")
    except UnicodeDecodeError as exc:
        raise _decode_error(data, codec, start, exc, file=file, line_break=line_break) from None
    return text[1:] if text.startswith("\ufeff") else text


def _strip_bom(data: bytes, name: str) -> tuple[str, int]:
    """The codec to decode with and where the text starts, so error offsets are absolute."""
    if name == "utf-8-sig":
        return "utf-8", len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    if name == "utf-16":
        if data.startswith(_UTF16BE_BOM):
            return "utf-16-be", 2
        # Load files are little-endian; a BOM-less "utf-16" is read as such, not as host order.
        return "utf-16-le", 2 if data.startswith(_UTF16LE_BOM) else 0
    return name, 0


def _decode_error(
    data: bytes,
    codec: str,
    start: int,
    exc: UnicodeDecodeError,
    *,
    file: str,
    line_break: str,
) -> LoadFileError:
    offset = start + exc.start
    # The bytes before the bad one decoded cleanly; "replace" only guards the count itself.
    before = data[start:offset].decode(codec, errors="replace")
    line = before.count(line_break) + 1
    bad = data[offset : start + exc.end].hex(" ").upper()
    return LoadFileError(
        f"cannot decode byte(s) {bad} at byte offset {offset} as {codec}: {exc.reason}",
        file=file,
        line=line,
    )
