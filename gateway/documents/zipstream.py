"""A ZIP archive written as a stream of chunks, never held whole in memory or on disk.

When every member's size and CRC-32 are known before it is written (they are recorded when
a file is stored), each local header carries them, no data descriptor follows the data,
and the archive's length is known up front, so a response can send ``Content-Length``.
Members are STORED (produced images and PDFs do not compress), so every reader copes:
Java's ``ZipInputStream`` refuses a STORED entry that defers its sizes to a data
descriptor, which is what a plain streaming ``zipfile`` writes. ZIP64 records are written
only where a size, an offset or the member count needs them.

A member whose size is not known before it is written (a PDF served with its forensic
mark, whose bytes exist only as they are sent) is DEFLATED, its sizes and CRC-32 in a data
descriptor after the data: Java's ``ZipInputStream`` reads that (a DEFLATED entry ends
where its compressed data does), while a STORED one with a data descriptor it refuses. The
archive's length is then not known up front, so no ``Content-Length``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

_MAX32 = 0xFFFFFFFF
_MAX16 = 0xFFFF
_UTF8 = 0x0800  # general purpose flag: the name is UTF-8
_MADE_BY_UNIX = 3 << 8
_FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--
_DEFERRED = 0x0008  # general purpose flag: sizes and CRC-32 follow the data
_STORED, _DEFLATED = 0, 8


@dataclass(frozen=True)
class Member:
    name: str
    modified: datetime
    chunks: Callable[[], Iterable[bytes]]  # called only when the member is written
    size: int | None = None  # plaintext bytes, when known before writing
    crc32: int | None = None


class MemberMismatch(RuntimeError):
    """A member's data did not have the size or CRC-32 its header announced; the stream is
    cut short rather than let a reader take a wrong file for a right one."""


@dataclass(frozen=True)
class _Entry:
    member: Member
    name: bytes
    flags: int
    dos_time: int
    dos_date: int
    offset: int
    local: bytes  # the local file header

    @property
    def size(self) -> int:
        assert self.member.size is not None
        return self.member.size

    def record(self) -> _Record:
        assert self.member.crc32 is not None
        return _Record(
            self.name,
            self.flags,
            self.dos_time,
            self.dos_date,
            _STORED,
            self.member.crc32,
            self.size,
            self.size,
            self.offset,
        )


@dataclass(frozen=True)
class _Record:
    """A member as the central directory lists it, once it is written."""

    name: bytes
    flags: int
    dos_time: int
    dos_date: int
    method: int
    crc32: int
    compressed: int
    size: int
    offset: int


class KnownZip:
    """An archive whose every member's size and CRC-32 are known: its length is too."""

    def __init__(self, members: list[Member]) -> None:
        names: set[str] = set()
        self.entries: list[_Entry] = []
        offset = 0
        for member in members:
            entry = _entry(member, unique_name(member.name, names), offset)
            self.entries.append(entry)
            offset += len(entry.local) + entry.size
        self.tail = _central_directory([e.record() for e in self.entries], offset)
        self.size = offset + len(self.tail)

    def stream(self) -> Iterator[bytes]:
        for entry in self.entries:
            yield entry.local
            yield from _checked(entry)
        yield self.tail


def known_zip(members: Iterable[Member]) -> KnownZip | None:
    """A :class:`KnownZip` of ``members``, or None if some size or CRC-32 is not known."""
    listed = list(members)
    if any(m.size is None or m.crc32 is None for m in listed):
        return None
    return KnownZip(listed)


def _entry(member: Member, name: str, offset: int) -> _Entry:
    assert member.size is not None and member.crc32 is not None
    encoded = name.encode("utf-8")
    flags = 0 if name.isascii() else _UTF8
    dos_time, dos_date = _dos(member.modified)
    big = member.size >= _MAX32
    extra = struct.pack("<HHQQ", 1, 16, member.size, member.size) if big else b""
    size32 = _MAX32 if big else member.size
    local = (
        struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            45 if big else 20,
            flags,
            0,  # STORED
            dos_time,
            dos_date,
            member.crc32,
            size32,
            size32,
            len(encoded),
            len(extra),
        )
        + encoded
        + extra
    )
    return _Entry(member, encoded, flags, dos_time, dos_date, offset, local)


def _central_directory(entries: list[_Record], start: int) -> bytes:
    records = b"".join(_central(entry) for entry in entries)
    end = start + len(records)
    zip64 = len(entries) >= _MAX16 or start >= _MAX32 or len(records) >= _MAX32
    tail = b""
    if zip64:
        tail = struct.pack(
            "<IQHHIIQQQQ",
            0x06064B50,
            44,
            _MADE_BY_UNIX | 45,
            45,
            0,
            0,
            len(entries),
            len(entries),
            len(records),
            start,
        ) + struct.pack("<IIQI", 0x07064B50, 0, end, 1)
    count = min(len(entries), _MAX16)
    eocd = struct.pack(
        "<IHHHHIIH",
        0x06054B50,
        0,
        0,
        count,
        count,
        min(len(records), _MAX32),
        min(start, _MAX32),
        0,
    )
    return records + tail + eocd


def _central(entry: _Record) -> bytes:
    size, compressed, offset = entry.size, entry.compressed, entry.offset
    big = size >= _MAX32 or compressed >= _MAX32
    fields = [size, compressed] if big else []
    if offset >= _MAX32:
        fields.append(offset)
    extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
    needed = 45 if extra else 20
    return (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            _MADE_BY_UNIX | needed,
            needed,
            entry.flags,
            entry.method,
            entry.dos_time,
            entry.dos_date,
            entry.crc32,
            _MAX32 if big else compressed,
            _MAX32 if big else size,
            len(entry.name),
            len(extra),
            0,
            0,
            0,
            _FILE_MODE,
            min(offset, _MAX32),
        )
        + entry.name
        + extra
    )


def _checked(entry: _Entry) -> Iterator[bytes]:
    written, crc = 0, 0
    for chunk in entry.member.chunks():
        written += len(chunk)
        if written > entry.size:
            break
        crc = zlib.crc32(chunk, crc)
        yield chunk
    if written != entry.size or crc != entry.member.crc32:
        raise MemberMismatch(
            f"{entry.member.name}: the stored file does not have the size and CRC-32 "
            "recorded for it"
        )


def _dos(moment: datetime) -> tuple[int, int]:
    if moment.year < 1980:
        return 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01, the earliest a ZIP can say
    year = min(moment.year, 2107)
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    date = ((year - 1980) << 9) | (moment.month << 5) | moment.day
    return time, date


# --- when some sizes are not known -------------------------------------------------------


def stream_zip(members: Iterable[Member]) -> Iterator[bytes]:
    """Members of known size and CRC-32 STORED with them in their headers, the others
    DEFLATED with a data descriptor; the central directory at the end lists them all."""
    names: set[str] = set()
    records: list[_Record] = []
    offset = 0
    for member in members:
        name = unique_name(member.name, names)
        if member.size is not None and member.crc32 is not None:
            entry = _entry(member, name, offset)
            yield entry.local
            yield from _checked(entry)
            records.append(entry.record())
            offset += len(entry.local) + entry.size
            continue
        record = yield from _deflated(member, name, offset)
        records.append(record)
        offset = record.offset + record.compressed + _LOCAL_FIXED + len(record.name) + 16
    yield _central_directory(records, offset)


_LOCAL_FIXED = 30  # a local header without its name and extra field


def _deflated(member: Member, name: str, offset: int) -> Generator[bytes, None, _Record]:
    encoded = name.encode("utf-8")
    flags = _DEFERRED | (0 if name.isascii() else _UTF8)
    dos_time, dos_date = _dos(member.modified)
    yield (
        struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            20,
            flags,
            _DEFLATED,
            dos_time,
            dos_date,
            0,
            0,
            0,
            len(encoded),
            0,
        )
        + encoded
    )
    squeeze = zlib.compressobj(6, zlib.DEFLATED, -15)
    crc = size = compressed = 0
    for chunk in member.chunks():
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
        out = squeeze.compress(chunk)
        if out:
            compressed += len(out)
            yield out
    out = squeeze.flush()
    compressed += len(out)
    yield out
    if size >= _MAX32 or compressed >= _MAX32:
        # the descriptor's 32-bit fields cannot say it: cut rather than mislabel it
        raise MemberMismatch(f"{member.name}: 4 GiB or more, too large for this archive")
    yield struct.pack("<IIII", 0x08074B50, crc, compressed, size)
    return _Record(encoded, flags, dos_time, dos_date, _DEFLATED, crc, compressed, size, offset)


def unique_name(name: str, taken: set[str]) -> str:
    """Two members of one name would leave an unzip tool to pick one; number the later."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        stem, dot, suffix = name.rpartition(".")
        candidate = f"{stem}-{n}.{suffix}" if dot and "/" not in suffix else f"{name}-{n}"
    taken.add(candidate)
    return candidate
