"""A ZIP archive written as a stream of chunks, never held whole in memory or on disk.

When every member's size and CRC-32 are known before it is written (they are recorded when
a file is stored), each local header carries them, no data descriptor follows the data,
and the archive's length is known up front, so a response can send ``Content-Length``.
Members are STORED (produced images and PDFs do not compress), so every reader copes:
Java's ``ZipInputStream`` refuses a STORED entry that defers its sizes to a data
descriptor, which is what a plain streaming ``zipfile`` writes. ZIP64 records are written
only where a size, an offset or the member count needs them.

When some size or CRC is unknown (files stored before they were recorded, or a member whose
bytes are transformed per download, such as a watermarked PDF), :func:`stream_zip` writes the
known members as above and DEFLATES the others, with a data descriptor after their data:
Java reads a data descriptor only after a DEFLATED entry, and only in its 32-bit form, so
such a member must stay under 4 GiB.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

_MAX32 = 0xFFFFFFFF
_MAX16 = 0xFFFF
_UTF8 = 0x0800  # general purpose flag: the name is UTF-8
_MADE_BY_UNIX = 3 << 8
_FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--


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
        self.tail = _directory([_stored(e) for e in self.entries], offset)
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


def _end_records(count: int, records: int, start: int) -> bytes:
    """The end of central directory record, after a ZIP64 one where a count, the
    directory's size or its offset needs it."""
    end = start + records
    tail = b""
    if count >= _MAX16 or start >= _MAX32 or records >= _MAX32:
        tail = struct.pack(
            "<IQHHIIQQQQ",
            0x06064B50,
            44,
            _MADE_BY_UNIX | 45,
            45,
            0,
            0,
            count,
            count,
            records,
            start,
        ) + struct.pack("<IIQI", 0x07064B50, 0, end, 1)
    short = min(count, _MAX16)
    eocd = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, short, short, min(records, _MAX32), min(start, _MAX32), 0
    )
    return tail + eocd


def _stored(entry: _Entry) -> _Written:
    assert entry.member.crc32 is not None
    return _Written(
        entry.name,
        entry.flags,
        0,
        entry.dos_time,
        entry.dos_date,
        entry.member.crc32,
        entry.size,
        entry.size,
        entry.offset,
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


# --- when some sizes are not known ------------------------------------------------------


class DeferredTooLarge(RuntimeError):
    """A member whose size was not known before writing reached 4 GiB: its data descriptor
    would need ZIP64, which Java's ZipInputStream misreads, so the stream is cut instead."""


@dataclass
class _Written:
    """A member once written: what its central directory record says."""

    name: bytes
    flags: int
    method: int
    dos_time: int
    dos_date: int
    crc32: int
    compressed: int
    size: int
    offset: int


def stream_zip(members: Iterable[Member]) -> Iterator[bytes]:
    """Members whose size and CRC-32 are known are STORED with them in the local header; the
    others (a file stored before its CRC was recorded, or bytes transformed per download)
    are DEFLATED, with a data descriptor after the data, which every reader, Java's
    ZipInputStream included, takes for a DEFLATED entry (never for a STORED one)."""
    names: set[str] = set()
    written: list[_Written] = []
    offset = 0
    for member in members:
        name = unique_name(member.name, names)
        if member.size is not None and member.crc32 is not None:
            entry = _entry(member, name, offset)
            yield entry.local
            yield from _checked(entry)
            done = _stored(entry)
            offset += len(entry.local) + entry.size
        else:
            done = _Written(name.encode("utf-8"), 0, 8, 0, 0, 0, 0, 0, offset)
            for chunk in _deferred(member, name, done):
                offset += len(chunk)
                yield chunk
        written.append(done)
    yield _directory(written, offset)


def _deferred(member: Member, name: str, done: _Written) -> Iterator[bytes]:
    done.flags = 0x08 | (0 if name.isascii() else _UTF8)
    done.dos_time, done.dos_date = _dos(member.modified)
    yield (
        struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            20,
            done.flags,
            8,
            done.dos_time,
            done.dos_date,
            0,
            0,
            0,
            len(done.name),
            0,
        )
        + done.name
    )
    squeeze = zlib.compressobj(1, zlib.DEFLATED, -15)
    for chunk in member.chunks():
        done.crc32 = zlib.crc32(chunk, done.crc32)
        done.size += len(chunk)
        if done.size >= _MAX32:
            raise DeferredTooLarge(f"{member.name}: 4 GiB or more of transformed data")
        packed = squeeze.compress(chunk)
        done.compressed += len(packed)
        if packed:
            yield packed
    tail = squeeze.flush()
    done.compressed += len(tail)
    yield tail
    yield struct.pack("<IIII", 0x08074B50, done.crc32, done.compressed, done.size)


def _directory(written: list[_Written], start: int) -> bytes:
    records = b"".join(_record(w) for w in written)
    return records + _end_records(len(written), len(records), start)


def _record(w: _Written) -> bytes:
    fields = [w.size, w.compressed] if w.size >= _MAX32 else []
    if w.offset >= _MAX32:
        fields.append(w.offset)
    extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
    needed = 45 if extra else 20
    return (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            _MADE_BY_UNIX | needed,
            needed,
            w.flags,
            w.method,
            w.dos_time,
            w.dos_date,
            w.crc32,
            min(w.compressed, _MAX32) if w.size < _MAX32 else _MAX32,
            min(w.size, _MAX32),
            len(w.name),
            len(extra),
            0,
            0,
            0,
            _FILE_MODE,
            min(w.offset, _MAX32),
        )
        + w.name
        + extra
    )


def unique_name(name: str, taken: set[str]) -> str:
    """Two members of one name would leave an unzip tool to pick one; number the later."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        stem, dot, suffix = name.rpartition(".")
        candidate = f"{stem}-{n}.{suffix}" if dot and "/" not in suffix else f"{name}-{n}"
    taken.add(candidate)
    return candidate
