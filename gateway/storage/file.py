"""Blob store on the local file system (the embedded deployment, BRIEF §4).

Each key ``a/b`` is the file ``<root>/a/b.blob``. The suffix keeps a blob ``a`` and the
blobs under ``a/`` from fighting over one name (a file and a directory), so the file store
accepts exactly the keys S3 accepts. Writes go to a hidden temporary file in the target
directory, are fsynced, then renamed over the target: a crash or a failing chunk iterator
leaves the old blob or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from gateway.storage.base import (
    is_valid_key,
    validate_key,
    validate_prefix,
    validate_range,
)

_SUFFIX = ".blob"
_DIR_MODE = 0o700


class FileBlobStore:
    """A ``BlobStore`` rooted at a directory only the gateway's user may read."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._make_dir(self.root)

    def __repr__(self) -> str:
        return f"FileBlobStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root / (validate_key(key) + _SUFFIX)

    def _make_dir(self, path: Path) -> None:
        """Create ``path`` and its missing parents with mode 0700.

        ``chmod`` after ``mkdir`` because the umask could otherwise widen or narrow it.
        """
        missing = []
        while not path.is_dir():
            missing.append(path)
            path = path.parent
        for directory in reversed(missing):
            try:
                directory.mkdir(mode=_DIR_MODE)
            except FileExistsError:
                continue  # a concurrent put created it: fine
            os.chmod(directory, _DIR_MODE)

    def put(self, key: str, chunks: Iterable[bytes]) -> int:
        target = self._path(key)
        self._make_dir(target.parent)
        # mkstemp creates the file with mode 0600; its name starts with "." and has no
        # ".blob" suffix, so iter_keys never mistakes it for a blob.
        fd, tmp_name = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=target.parent)
        written = 0
        committed = False
        try:
            with open(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    written += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, target)
            committed = True
        finally:
            if not committed:
                os.unlink(tmp_name)
        _fsync_dir(target.parent)
        return written

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        validate_range(offset, length)
        with open(self._path(key), "rb") as blob:
            blob.seek(offset)
            return blob.read(length)

    def delete(self, key: str) -> None:
        # Empty directories are left in place: removing them would race with a concurrent
        # put into the same directory.
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def modified(self, key: str) -> datetime:
        return datetime.fromtimestamp(self._path(key).stat().st_mtime, UTC)

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        validate_prefix(prefix)
        directory, _, _ = prefix.rpartition("/")
        start = self.root / directory if directory else self.root
        base = directory + "/" if directory else ""
        return self._walk(start, base, prefix)

    def _walk(self, directory: Path, base: str, prefix: str) -> Iterator[str]:
        """Yield keys under ``directory`` in lexicographic order, one directory in memory.

        A blob ``x`` sorts as "x" and a sub-directory ``x`` as "x/": every key below it
        starts with "x/", so sorting entries that way gives the keys' own order.
        """
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            return
        ordered: list[tuple[str, os.DirEntry[str]]] = []
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                ordered.append((base + entry.name + "/", entry))
            elif entry.name.endswith(_SUFFIX) and entry.is_file(follow_symlinks=False):
                ordered.append((base + entry.name[: -len(_SUFFIX)], entry))
        ordered.sort(key=lambda item: item[0])
        for name, entry in ordered:
            if name.endswith("/"):
                if name.startswith(prefix) or prefix.startswith(name):
                    yield from self._walk(Path(entry.path), name, prefix)
            elif name.startswith(prefix) and is_valid_key(name):
                yield name


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable: the directory entry must reach the disk too."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
