from __future__ import annotations

from pathlib import Path

import pytest

from gateway.ingest import (
    DirectorySource,
    LoadFileError,
    MemorySource,
    UnsafePath,
    VolumeSource,
    volume_path,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("IMAGES\\0001\\AOL-DEF-00556914.tif", "IMAGES/0001/AOL-DEF-00556914.tif"),
        (".\\NATIVES\\a.msg", "NATIVES/a.msg"),
        ("TEXT//a.txt", "TEXT/a.txt"),
        ("a..b/.hidden", "a..b/.hidden"),
    ],
)
def test_volume_paths_are_normalised(raw: str, expected: str) -> None:
    assert volume_path(raw) == expected


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("IMAGES/../../etc/passwd", "contains '..'"),
        ("..\\..\\Windows\\win.ini", "contains '..'"),
        ("IMAGES\\...\\x.tif", "contains '..'"),
        ("/etc/passwd", "is absolute"),
        ("\\\\server\\share\\x.tif", "is absolute"),
        ("\\IMAGES\\x.tif", "is absolute"),
        ("C:\\VOL001\\IMAGES\\x.tif", "drive letter"),
        ("c:x.tif", "drive letter"),
        ("IMAGES/x.tif:stream", "colon"),
        ("", "empty"),
        ("IMAGES/\x00x.tif", "control characters"),
        ("./.", "names no file"),
    ],
)
def test_unsafe_paths_are_refused(raw: str, why: str) -> None:
    with pytest.raises(UnsafePath, match=why):
        volume_path(raw)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "VOL001"
    (root / "IMAGES").mkdir(parents=True)
    (root / "IMAGES" / "a.tif").write_bytes(b"tiff")
    (tmp_path / "secret.txt").write_bytes(b"not in the volume")
    return root


def test_directory_source_reads_inside_the_volume(folder: Path) -> None:
    source: VolumeSource = DirectorySource(folder)
    assert source.exists("IMAGES\\a.tif") and not source.exists("IMAGES/b.tif")
    assert not source.exists("IMAGES")  # a folder is not a file
    assert source.size("IMAGES\\a.tif") == 4
    with source.open("IMAGES/a.tif") as handle:
        assert handle.read() == b"tiff"
    assert source.describe("IMAGES\\a.tif") == "VOL001/IMAGES/a.tif"
    with pytest.raises(FileNotFoundError):
        source.open("IMAGES/b.tif")


def test_a_symlink_inside_the_volume_is_followed(folder: Path) -> None:
    (folder / "IMAGES" / "alias.tif").symlink_to(folder / "IMAGES" / "a.tif")
    assert DirectorySource(folder).size("IMAGES/alias.tif") == 4


@pytest.mark.parametrize("link", ["IMAGES/leak.tif", "OUT/secret.txt"])
def test_a_symlink_escaping_the_volume_is_refused(folder: Path, link: str) -> None:
    (folder / "IMAGES" / "leak.tif").symlink_to(folder.parent / "secret.txt")
    (folder / "OUT").symlink_to(folder.parent, target_is_directory=True)
    source = DirectorySource(folder)
    for call in (source.exists, source.size, source.open):
        with pytest.raises(LoadFileError) as caught:
            call(link)
        assert caught.value.file == f"VOL001/{link}"
        assert "resolves outside the volume folder" in caught.value.reason


def test_dot_dot_and_absolute_paths_are_refused_by_the_directory_source(folder: Path) -> None:
    source = DirectorySource(folder)
    with pytest.raises(LoadFileError, match="contains '..'"):
        source.exists("..\\secret.txt")
    with pytest.raises(LoadFileError, match="is absolute"):
        source.open(str(folder.parent / "secret.txt"))


def test_a_missing_volume_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LoadFileError, match="does not exist"):
        DirectorySource(tmp_path / "nope")


def test_memory_source() -> None:
    source: VolumeSource = MemorySource({"IMAGES/a.tif": b"tiff"}, name="VOL002")
    assert source.exists("IMAGES\\a.tif") and not source.exists("a.tif")
    assert source.size(".\\IMAGES\\a.tif") == 4
    assert source.open("IMAGES/a.tif").read() == b"tiff"
    assert source.describe("IMAGES\\a.tif") == "VOL002/IMAGES/a.tif"
    with pytest.raises(FileNotFoundError):
        source.size("b.tif")
    with pytest.raises(LoadFileError, match="contains '..'"):
        source.exists("../a.tif")
    with pytest.raises(ValueError, match="name the same file"):
        MemorySource({"a.tif": b"", "./a.tif": b""})
