"""A ZIP archive written as a stream of chunks, never held whole in memory or on disk.

``zipfile`` can write to an unseekable file: it then puts each member's sizes and CRC in
a data descriptor after the data. Here the "file" is a queue that the generator drains
after every write, so at most one chunk of a member is buffered at a time.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime


class _Sink:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        parts, self.parts = self.parts, []
        yield from parts


@dataclass(frozen=True)
class Member:
    name: str
    modified: datetime
    chunks: Callable[[], Iterable[bytes]]  # called only when the member is written


def stream_zip(members: Iterable[Member]) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(
        sink,  # type: ignore[call-overload]  # any object with write() will do
        mode="w",
        compression=zipfile.ZIP_STORED,
        allowZip64=True,
    ) as archive:
        names: set[str] = set()
        for member in members:
            name = _unique(member.name, names)
            info = zipfile.ZipInfo(name, date_time=member.modified.timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED
            with archive.open(info, mode="w", force_zip64=True) as handle:
                yield from sink.drain()
                for chunk in member.chunks():
                    handle.write(chunk)
                    yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()


def _unique(name: str, taken: set[str]) -> str:
    """Two members of one name would leave an unzip tool to pick one; number the later."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        stem, dot, suffix = name.rpartition(".")
        candidate = f"{stem}-{n}.{suffix}" if dot and "/" not in suffix else f"{name}-{n}"
    taken.add(candidate)
    return candidate
