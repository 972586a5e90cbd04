"""Where a production volume's files come from: a folder, or bytes held in memory.

Load files are written on Windows by other people's tools, and their paths are data from the
producing party: a path may only ever name a file inside the volume folder. Every path is
normalised by :func:`volume_path` (backslashes are separators; absolute paths, drive
letters and ``..`` are refused) and :class:`DirectorySource` also refuses anything that a
symbolic link makes resolve outside the folder.

Vendors often write paths from the volume's root (``\\VOL001\\IMAGES\\001\\X.pdf``) or
starting with the volume folder's name (``VOL001\\IMAGES\\...``): :func:`locate` reads both
against the volume, through the same checks.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO, Protocol

from gateway.ingest.errors import LoadFileError

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UnsafePath(ValueError):
    """A load-file path that could name something outside the volume folder."""


def volume_path(raw: str, root: str | Iterable[str] | None = None) -> str:
    """``raw`` as a ``/``-separated path relative to the volume folder, or :class:`UnsafePath`.

    With ``root`` (the volume's names: its folder's, the OPT's), a path from the volume's
    root such as ``\\VOL001\\IMAGES\\x.tif`` is read as ``IMAGES/x.tif``.
    """
    roots = [root] if isinstance(root, str) else list(root or ())
    if not raw.strip():
        raise UnsafePath("the path is empty")
    if _CONTROL.search(raw):
        raise UnsafePath(f"the path {raw!r} contains control characters")
    path = raw.replace("\\", "/")
    rooted = path.startswith("/") and not path.startswith("//")
    first = path.lstrip("/").split("/", 1)[0]
    if rooted and "/" in path.lstrip("/") and any(_same_name(first, r) for r in roots):
        path = path.lstrip("/").split("/", 1)[1]
    elif path.startswith("/"):
        where = f" or to its root /{roots[0]}/" if roots else ""
        raise UnsafePath(
            f"the path {raw!r} is absolute; it must be relative to the volume folder{where}"
        )
    if _DRIVE.match(path) or ":" in path:
        # "C:x" is drive-relative on Windows and "a:b" a data stream: neither stays put.
        raise UnsafePath(
            f"the path {raw!r} has a drive letter or colon; it must be relative "
            "to the volume folder"
        )
    parts = [part for part in path.split("/") if part not in ("", ".")]
    # Windows drops trailing dots and spaces, so ".. " or "..." can climb like "..".
    if any(not part.rstrip(". ") for part in parts):
        raise UnsafePath(
            f"the path {raw!r} contains '..' (or a name of only dots and spaces); "
            "it must stay inside the volume folder"
        )
    if not parts:
        raise UnsafePath(f"the path {raw!r} names no file")
    return "/".join(parts)


def _same_name(one: str, other: str) -> bool:
    return one.casefold() == other.casefold()


def locate(source: VolumeSource, raw: str, names: Iterable[str] = ()) -> str:
    """A load-file path as a volume-relative path, trying it also without a leading volume
    name (``VOL001/IMAGES/x.tif`` in volume VOL001: the folder's name, or one of ``names``,
    the volume's names in the load files); :class:`UnsafePath` if it is unsafe, or if both
    readings name a file (which one was meant cannot be told)."""
    roots = [source.name, *names]
    path = volume_path(raw, roots)
    first, _, rest = path.partition("/")
    if not rest or not any(_same_name(first, r) for r in roots):
        return path
    try:
        as_is, stripped = source.exists(path), source.exists(rest)
    except LoadFileError as exc:
        raise UnsafePath(exc.reason) from None
    if as_is and stripped:
        raise UnsafePath(
            f"the path {raw!r} names both {path} and {rest} in the volume: which one is meant "
            "cannot be told"
        )
    return rest if stripped else path


class VolumeSource(Protocol):
    """Read access to one volume's files by volume-relative path.

    Every method accepts a raw load-file path and raises :class:`LoadFileError` for one that
    would leave the volume; ``size`` and ``open`` raise ``FileNotFoundError`` for a missing
    file. ``describe`` names a file for messages without revealing server paths.
    """

    @property
    def name(self) -> str: ...

    def exists(self, relpath: str) -> bool: ...

    def size(self, relpath: str) -> int: ...

    def open(self, relpath: str) -> BinaryIO: ...

    def describe(self, relpath: str) -> str: ...


def _describe(volume: str, relpath: str) -> str:
    try:
        return f"{volume}/{volume_path(relpath)}"
    except UnsafePath:
        return f"{volume}/{relpath}"


def _checked(relpath: str, volume: str) -> str:
    try:
        return volume_path(relpath)
    except UnsafePath as exc:
        raise LoadFileError(str(exc), file=_describe(volume, relpath)) from None


class DirectorySource:
    """A volume as a folder on disk; no path can reach outside ``root``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise LoadFileError("the volume folder does not exist", file=str(self.root))
        self._real_root = self.root.resolve(strict=True)

    @property
    def name(self) -> str:
        return self.root.name

    def _resolve(self, relpath: str) -> Path:
        rel = _checked(relpath, self.root.name)
        try:
            real = (self._real_root / rel).resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop
            raise LoadFileError(
                f"the path cannot be resolved: {exc}", file=self.describe(rel)
            ) from None
        if not real.is_relative_to(self._real_root):
            raise LoadFileError(
                "the path resolves outside the volume folder (through a symbolic link)",
                file=self.describe(rel),
            )
        return real

    def exists(self, relpath: str) -> bool:
        return self._resolve(relpath).is_file()

    def size(self, relpath: str) -> int:
        return self._resolve(relpath).stat().st_size

    def open(self, relpath: str) -> BinaryIO:
        real = self._resolve(relpath)
        # O_NOFOLLOW: a link swapped in after the check above must not be followed.
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        return os.fdopen(os.open(real, flags), "rb")

    def describe(self, relpath: str) -> str:
        return _describe(self.root.name, relpath)


class MemorySource:
    """A volume held in memory (the demo, tests, uploads that must not touch disk)."""

    def __init__(self, files: Mapping[str, bytes], name: str = "memory") -> None:
        self._name = name
        self._files: dict[str, bytes] = {}
        for path, data in files.items():
            key = volume_path(path)
            if key in self._files:
                raise ValueError(f"{path!r} and another key name the same file {key!r}")
            self._files[key] = bytes(data)

    @property
    def name(self) -> str:
        return self._name

    def exists(self, relpath: str) -> bool:
        return _checked(relpath, self.name) in self._files

    def size(self, relpath: str) -> int:
        return len(self._get(relpath))

    def open(self, relpath: str) -> BinaryIO:
        return io.BytesIO(self._get(relpath))

    def describe(self, relpath: str) -> str:
        return _describe(self.name, relpath)

    def _get(self, relpath: str) -> bytes:
        key = _checked(relpath, self.name)
        try:
            return self._files[key]
        except KeyError:
            raise FileNotFoundError(self.describe(relpath)) from None
