"""Archives: tar.gz/tgz/tar/zip of image folders and IDX files, read without unpacking; hostile ones refused."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

import torchscope.data as tsd

from .files import (
    mnist_dir,
    patch_zip_entry,
    png_bytes,
    png_folder,
    tar_of,
    tar_with_member,
    tree,
    zip_of,
    zip_with_member,
)

GOOD = {"set/a/0.png": png_bytes(np.full((4, 4), 7, np.uint8)), "set/b/0.png": png_bytes(np.zeros((4, 4), np.uint8))}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    png_folder(tmp_path / "src" / "mnist_1000_28x28_train", {"0": 3, "1": 2, "7": 4})
    return tmp_path / "src" / "mnist_1000_28x28_train"


@pytest.mark.parametrize("kind", ["tar.gz", "tgz", "tar", "zip"])
def test_archive_reads_the_same_samples_as_the_folder_and_writes_nothing(tmp_path: Path, folder: Path,
                                                                         kind: str) -> None:
    out = tmp_path / f"mnist_1000_28x28_train.{kind}"
    if kind == "zip":
        zip_of(folder, out)
    else:
        tar_of(folder, out, mode="w" if kind == "tar" else "w:gz")
    before, cwd_before = tree(tmp_path), set(os.listdir())
    ds = tsd.load(out)
    x, y = ds.arrays()
    ref = tsd.load(folder)
    assert ds.class_names == ["0", "1", "7"] and ds.name == "mnist_1000_28x28_train"
    np.testing.assert_array_equal(y, ref.targets)
    np.testing.assert_array_equal(x, ref.arrays()[0])
    assert torch.equal(ds[2][0], ref[2][0])
    assert tree(tmp_path) == before and set(os.listdir()) == cwd_before, "loading must not write files"


def test_archive_without_top_folder_and_with_splits(tmp_path: Path) -> None:
    png_folder(tmp_path / "s" / "train", {"a": 2, "b": 1})
    png_folder(tmp_path / "s" / "test", {"a": 1, "b": 1})
    zip_of(tmp_path / "s", tmp_path / "flat.zip", arcname="")
    tar_of(tmp_path / "s", tmp_path / "wrapped.tgz")
    for name in ("flat.zip", "wrapped.tgz"):
        assert len(tsd.load(tmp_path / name)) == 3
        test = tsd.load(tmp_path / name, subset="test")
        assert len(test) == 2 and test.name.endswith("/test")


def test_zip_dataset_works_in_dataloader_workers(tmp_path: Path, folder: Path) -> None:
    ds = tsd.load(zip_of(folder, tmp_path / "w.zip"))
    ds[0]  # opens the zip in this process; workers must reopen their own
    labels = torch.cat([b[1] for b in torch.utils.data.DataLoader(ds, batch_size=3, num_workers=2)])
    assert labels.tolist() == ds.targets.tolist()


@pytest.mark.parametrize("gz", [True, False])
def test_archive_of_idx_files(tmp_path: Path, gz: bool) -> None:
    root, arrays = mnist_dir(tmp_path / "fashion", gz=gz)
    arc = tar_of(root, tmp_path / "fashion.tar.gz")
    ds = tsd.load(arc, subset="test", classes=["t-shirt", "trouser", "pullover"])
    np.testing.assert_array_equal(ds.targets, arrays["test"][1])
    assert ds.class_names[1] == "trouser"
    z = tsd.load(zip_of(root, tmp_path / "fashion.zip"))
    np.testing.assert_array_equal(z.arrays()[0][..., 0], arrays["train"][0])


def _tar_info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize("bad, why", [
    (_tar_info("../evil.png"), "path traversal"),
    (_tar_info("set/a/../../../evil.png"), "path traversal"),
    (_tar_info("/tmp/evil.png"), "absolute"),
    (_tar_info("set/a/link.png", tarfile.SYMTYPE, "/etc/passwd"), "link member"),
    (_tar_info("set/a/hard.png", tarfile.LNKTYPE, "../../etc/passwd"), "link member"),
    (_tar_info("set/a/dev", tarfile.CHRTYPE), "device member"),
])
def test_hostile_tar_is_refused_naming_archive_and_member(tmp_path: Path, bad: tarfile.TarInfo, why: str) -> None:
    arc = tar_with_member(tmp_path / "box" / "evil.tar.gz", GOOD, bad, png_bytes(np.zeros((2, 2), np.uint8)))
    before = tree(tmp_path)
    with pytest.raises(tsd.DataError, match=r"evil\.tar\.gz: refusing .*" + why.split()[0]) as err:
        tsd.load(arc)
    assert bad.name in str(err.value)
    assert tree(tmp_path) == before and not Path("/tmp/evil.png").exists()


@pytest.mark.parametrize("name, symlink, why", [
    ("../evil.png", False, "traversal"),
    ("/abs/evil.png", False, "absolute"),
    ("C:\\evil.png", False, "absolute"),
    ("set/a/link.png", True, "symbolic link"),
])
def test_hostile_zip_is_refused(tmp_path: Path, name: str, symlink: bool, why: str) -> None:
    arc = zip_with_member(tmp_path / "evil.zip", GOOD, name, b"/etc/passwd", symlink=symlink)
    before = tree(tmp_path)
    with pytest.raises(tsd.DataError, match=r"evil\.zip: refusing .*" + why) as err:
        tsd.load(arc)
    assert repr(name) in str(err.value) and tree(tmp_path) == before


def test_archive_with_images_but_no_class_folders(tmp_path: Path) -> None:
    arc = tmp_path / "flat.zip"
    with zipfile.ZipFile(arc, "w") as zf:
        zf.writestr("a.png", GOOD["set/a/0.png"])
        zf.writestr("b.png", GOOD["set/b/0.png"])
    with pytest.raises(tsd.DataError, match=r"flat\.zip: found 2 image\(s\) outside any class folder"):
        tsd.load(arc)


def test_archive_without_images(tmp_path: Path) -> None:
    arc = tmp_path / "docs.tar.gz"
    with tarfile.open(arc, "w:gz") as tf:
        info = tarfile.TarInfo("docs/readme.txt")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(tsd.DataError, match=r"docs\.tar\.gz: no image files found"):
        tsd.load(arc)


@pytest.mark.parametrize("name", ["broken.tar.gz", "broken.zip", "broken.tgz"])
def test_corrupt_archive_names_the_file(tmp_path: Path, name: str) -> None:
    arc = tmp_path / name
    arc.write_bytes(b"\x1f\x8b\x08\x00 definitely not an archive" * 10)
    with pytest.raises(tsd.DataError, match=rf"{name.replace('.', '[.]')}: not a readable"):
        tsd.load(arc)


def test_truncated_tar_gz(tmp_path: Path, folder: Path) -> None:
    arc = tar_of(folder, tmp_path / "cut.tar.gz")
    arc.write_bytes(arc.read_bytes()[:300])
    with pytest.raises(tsd.DataError, match=r"cut\.tar\.gz"):
        tsd.load(arc)


def test_unreadable_image_inside_an_archive_names_archive_and_member(tmp_path: Path) -> None:
    files = dict(GOOD, **{"set/b/1.png": b"not a png at all"})
    for arc in (zip_with_member(tmp_path / "c.zip", files, "set/b/2.png", GOOD["set/b/0.png"]),
                tar_with_member(tmp_path / "c.tar.gz", files, _tar_info("set/b/2.png"), GOOD["set/b/0.png"])):
        ds = tsd.load(arc)
        with pytest.raises(tsd.DataError, match=rf"{arc.name}:set/b/1.png: cannot read this image"):
            ds.arrays()


# -- more hostile archives: each a DataError naming the archive (and the member), never a raw exception ------


def _zip(path: Path) -> Path:
    return zip_with_member(path, GOOD, "set/b/1.png", GOOD["set/b/0.png"])


@pytest.mark.parametrize("patch, why", [
    ({"flag_bits": 0x1}, r"c\.zip:set/a/0\.png: this zip member is encrypted \(password-protected\)"),
    ({"compress_type": 99}, r"c\.zip:set/a/0\.png: cannot read this member \(That compression method is not "
                            r"supported\)"),
    ({"extract_version": 255}, r"c\.zip: not a readable zip file \(zip file version 25\.5\)"),
])
def test_zip_members_python_cannot_read_are_named(tmp_path: Path, patch: dict, why: str) -> None:
    arc = patch_zip_entry(_zip(tmp_path / "c.zip"), "set/a/0.png", **patch)
    with pytest.raises(tsd.DataError, match=why):
        tsd.load(arc)


def test_zip_member_with_a_bad_crc_is_named_when_it_is_the_first_image(tmp_path: Path) -> None:
    arc = _zip(tmp_path / "crc.zip")
    data = bytearray(arc.read_bytes())
    with zipfile.ZipFile(arc) as zf:
        info = zf.getinfo("set/a/0.png")
    data[info.header_offset + 30 + len(info.filename) + 10] ^= 0xFF  # a byte of the stored PNG
    arc.write_bytes(bytes(data))
    with pytest.raises(tsd.DataError, match=r"crc\.zip:set/a/0\.png: cannot read this member \(Bad CRC-32"):
        tsd.load(arc)


def test_sparse_tar_member_is_refused(tmp_path: Path) -> None:
    arc = tmp_path / "sparse.tar"
    info = tarfile.TarInfo("set/a/1.png")
    info.type = tarfile.GNUTYPE_SPARSE
    with tarfile.open(arc, "w", format=tarfile.GNU_FORMAT) as tf:
        for name, data in GOOD.items():
            good = tarfile.TarInfo(name)
            good.size = len(data)
            tf.addfile(good, io.BytesIO(data))
        tf.addfile(info)
    with pytest.raises(tsd.DataError, match=r"sparse\.tar: refusing sparse file member 'set/a/1\.png'"):
        tsd.load(arc)


@pytest.mark.parametrize("kind", ["tar.gz", "zip"])
def test_traversal_names_in_an_idx_archive_are_refused_and_nothing_is_written(tmp_path: Path, kind: str) -> None:
    root, _ = mnist_dir(tmp_path / "m")
    files = {p.name: p.read_bytes() for p in root.iterdir()}
    out = tmp_path / "box" / f"evil.{kind}"
    out.parent.mkdir()
    if kind == "zip":
        zip_with_member(out, files, "../../etc/x", b"owned")
    else:
        tar_with_member(out, files, _tar_info("../../etc/x"), b"owned")
    before = tree(tmp_path)
    with pytest.raises(tsd.DataError, match=r"evil\.(tar\.gz|zip): refusing unsafe member name '\.\./\.\./etc/x'"):
        tsd.load(out)
    assert tree(tmp_path) == before


@pytest.mark.parametrize("name, data, why", [
    ("empty.zip", None, "no image files found"),
    ("empty.tar.gz", None, "no image files found"),
    ("zero.zip", b"", "not a readable zip file"),
    ("zero.tar.gz", b"", "not a readable tar archive"),
    ("zero.tar", b"", "not a readable tar archive"),
    ("junk.tar.xz", b"\xfd7zXZ\x00junk" * 20, "not a readable tar archive"),
    ("junk.tar.bz2", b"BZh9junk" * 20, "not a readable tar archive"),
    ("junk.tar", bytes(range(256)) * 8, "not a readable tar archive"),
])
def test_empty_and_junk_archives_name_the_file(tmp_path: Path, name: str, data: bytes | None, why: str) -> None:
    arc = tmp_path / name
    if data is not None:
        arc.write_bytes(data)
    elif name.endswith(".zip"):
        zipfile.ZipFile(arc, "w").close()
    else:
        tarfile.open(arc, "w:gz").close()
    with pytest.raises(tsd.DataError, match=rf"{name.replace('.', '[.]')}: {why}"):
        tsd.load(arc)
