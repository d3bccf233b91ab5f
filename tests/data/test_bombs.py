"""Decompression bombs in every format ``ts.data`` reads (gzipped IDX, tar.gz/bz2/xz, zip) stop at the
caps of ``ts.data.Limits``, early when a header declares too much and as they stream otherwise; real
data still loads. The bombs are built in a stream (compressed zeros) and tested against low caps, so
each test costs a few MB and well under a second of decompression."""

from __future__ import annotations

import re
import resource
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

import torchscope.data as tsd

from .files import (
    MNIST,
    gz_idx_zeros,
    idx_bytes,
    patch_zip_entry,
    png_bytes,
    tar_of_zeros,
    tree,
    write_idx,
    zip_of_zeros,
)

MB = 2**20
LOW = tsd.Limits(max_mb=10)  # the tests' cap: a 50 MB bomb against it


def _labels(folder: Path, n: int, gz: bool = True) -> None:
    write_idx(folder / f"train-labels-idx1-ubyte{'.gz' if gz else ''}", np.zeros(n, np.uint8), gz=gz)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _stopped_after(message: str) -> int:
    """The byte count an over-the-cap message reports."""
    return int(re.search(r"(?:stopped after|\() ?([\d,]+) bytes", message)[1].replace(",", ""))  # type: ignore[index]


# -- gzipped IDX ----------------------------------------------------------------------------------------


def test_gzip_idx_declaring_more_than_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    shape = (50_000, 32, 32)  # 50 MB of images declared, 10 MB allowed; the stream is never decompressed
    gz_idx_zeros(tmp_path / "train-images-idx3-ubyte.gz", shape, zeros=0)
    _labels(tmp_path, shape[0])
    with pytest.raises(tsd.DataError, match=r"train-images-idx3-ubyte\.gz: the IDX header declares 48\.8 MiB "
                                            r"\(51,200,000 bytes\), more than the cap of 10\.0 MiB .*nothing of it "
                                            r"was read.*max_mb=64.*TORCHSCOPE_DATA_MAX_MB=64"):
        tsd.load(tmp_path, limits=LOW)


def test_gzip_idx_bomb_stops_at_the_default_ratio_cap_with_bounded_memory(tmp_path: Path) -> None:
    shape = (2_000_000, 40, 40)  # 3.0 GiB declared (under the 4 GiB default cap), all zeros: ~3 MB on disk
    bomb = gz_idx_zeros(tmp_path / "train-images-idx3-ubyte.gz", shape, zeros=96 * MB)
    _labels(tmp_path, shape[0])
    assert bomb.stat().st_size < 200_000
    before = _rss_mb()
    with pytest.raises(tsd.DataError, match=r"train-images-idx3-ubyte\.gz: expands more than 200:1 .*decompression "
                                            r"bomb.*max_ratio=2000.*TORCHSCOPE_DATA_MAX_RATIO=2000") as err:
        tsd.load(tmp_path)
    assert 64 * MB < _stopped_after(str(err.value)) <= 66 * MB, "stops at the first check past ratio_above_mb"
    assert _rss_mb() - before < 400, "nothing like the declared 3 GiB may be held"


def test_gzip_idx_whose_header_promises_little_reads_no_further(tmp_path: Path) -> None:
    # 10 images declared, 50 MB of zeros behind them: the reader stops one byte past the promise
    gz_idx_zeros(tmp_path / "train-images-idx3-ubyte.gz", (10, 4, 4), zeros=50 * MB)
    _labels(tmp_path, 10)
    with pytest.raises(tsd.DataError, match=r"train-images-idx3-ubyte\.gz: the header promises shape \(10, 4, 4\) "
                                            r"\(176 bytes\) but the file holds more bytes than that"):
        tsd.load(tmp_path, limits=LOW)


# -- tar ------------------------------------------------------------------------------------------------


def test_tar_gz_bomb_is_refused_at_the_member_that_passes_the_cap(tmp_path: Path) -> None:
    members = {f"set/{c}/{i}.png": 5 * MB for c in "ab" for i in range(5)}  # 50 MB in ten 5 MB members
    arc = tar_of_zeros(tmp_path / "bomb.tar.gz", members)
    before = tree(tmp_path)
    with pytest.raises(tsd.DataError, match=r"bomb\.tar\.gz: member 'set/a/1\.png': its tar header declares "
                                            r"5\.0 MiB .*more than the cap of 10\.0 MiB.*max_mb=64"):
        tsd.load(arc, limits=LOW)
    assert tree(tmp_path) == before


@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w:xz"])
def test_compressed_tar_bomb_stops_at_the_ratio_cap_as_it_streams(tmp_path: Path, mode: str) -> None:
    arc = tar_of_zeros(tmp_path / f"bomb.tar.{mode[2:]}", {"set/a/0.png": 24 * MB, "set/b/0.png": 1})
    limits = tsd.Limits(ratio_above_mb=8)
    with pytest.raises(tsd.DataError, match=rf"bomb\.tar\.{mode[2:]}: member 'set/a/0\.png': expands more than "
                                            r"200:1") as err:
        tsd.load(arc, limits=limits)
    assert _stopped_after(str(err.value)) <= 10 * MB


def test_tar_of_many_empty_members_stops_at_the_byte_cap(tmp_path: Path) -> None:
    arc = tar_of_zeros(tmp_path / "headers.tar", {f"set/a/{i}.txt": 0 for i in range(4000)}, mode="w")
    with pytest.raises(tsd.DataError, match=r"headers\.tar: decompresses to more than the cap of 1\.0 MiB "
                                            r"\(stopped after 1,0\d\d,\d\d\d bytes\)"):
        tsd.load(arc, limits=tsd.Limits(max_mb=1))  # 2 MB of tar headers


# -- zip ------------------------------------------------------------------------------------------------


def test_zip_bomb_is_refused_from_its_directory_before_reading(tmp_path: Path) -> None:
    arc = zip_of_zeros(tmp_path / "bomb.zip", {"set/a/0.png": 50 * MB, "set/b/0.png": 1})
    with pytest.raises(tsd.DataError, match=r"bomb\.zip:set/a/0\.png: the zip directory declares 50\.0 MiB "
                                            r"\(52,428,800 bytes\), more than the cap of 10\.0 MiB"):
        tsd.load(arc, limits=LOW)


def test_zip_bomb_is_refused_by_its_declared_ratio(tmp_path: Path) -> None:
    arc = zip_of_zeros(tmp_path / "bomb.zip", {"set/a/0.png": 80 * MB, "set/b/0.png": 1})
    with pytest.raises(tsd.DataError, match=r"bomb\.zip:set/a/0\.png: the zip directory declares 83,886,080 bytes "
                                            r"from [\d,]+ compressed bytes, more than 200:1"):
        tsd.load(arc)


def test_zip_member_lying_about_its_size_yields_no_more_than_it_declares(tmp_path: Path) -> None:
    arc = zip_of_zeros(tmp_path / "liar.zip", {"set/a/0.png": 50 * MB, "set/b/0.png": 1})
    patch_zip_entry(arc, "set/a/0.png", file_size=1000)
    with pytest.raises(tsd.DataError, match=r"liar\.zip:set/a/0\.png: cannot read this member \(Bad CRC-32"):
        tsd.load(arc, limits=LOW)


def test_bzip2_zip_member_is_refused_because_zipfile_cannot_bound_it(tmp_path: Path) -> None:
    arc = tmp_path / "bz.zip"
    with zipfile.ZipFile(arc, "w", compression=zipfile.ZIP_BZIP2) as zf:
        zf.writestr("set/a/0.png", png_bytes(np.zeros((2, 2), np.uint8)))
        zf.writestr("set/b/0.png", png_bytes(np.zeros((2, 2), np.uint8)))
    with pytest.raises(tsd.DataError, match=r"bz\.zip:set/a/0\.png: this zip member is bzip2-compressed.*repack"):
        tsd.load(arc)


# -- bounded work: members ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tar.gz of 100,000 one-pixel PNGs in two classes (1.5 MB)."""
    import io

    png = png_bytes(np.zeros((1, 1), np.uint8))
    arc = tmp_path_factory.mktemp("many") / "many.tar.gz"
    with tarfile.open(arc, "w:gz", compresslevel=1) as tf:
        for i in range(100_000):
            info = tarfile.TarInfo(f"set/{'ab'[i % 2]}/{i}.png")
            info.size = len(png)
            tf.addfile(info, io.BytesIO(png))
    return arc


def test_100k_tiny_members_load_under_the_default_caps(many: Path) -> None:
    ds = tsd.load(many)
    assert len(ds) == 100_000 and ds.class_names == ["a", "b"] and ds.sample_shape == (1, 1, 1)


def test_member_count_cap_stops_the_listing(many: Path, tmp_path: Path) -> None:
    with pytest.raises(tsd.DataError, match=r"many\.tar\.gz: more than 50,000 members.*max_members=500000"):
        tsd.load(many, limits=tsd.Limits(max_members=50_000))
    arc = tmp_path / "many.zip"
    with zipfile.ZipFile(arc, "w") as zf:
        for i in range(101):
            zf.writestr(f"set/{'ab'[i % 2]}/{i}.png", b"")
    with pytest.raises(tsd.DataError, match=r"many\.zip: more than 100 members.*TORCHSCOPE_DATA_MAX_MEMBERS=1000"):
        tsd.load(arc, limits=tsd.Limits(max_members=100))


# -- real data is untouched -----------------------------------------------------------------------------


def test_very_compressible_small_files_still_load(tmp_path: Path) -> None:
    x = np.zeros((3000, 28, 28), np.uint8)  # 2.2 MB of black images: about 1,000:1, under ratio_above_mb
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", x, gz=True)
    _labels(tmp_path, 3000)
    assert len(tsd.load(tmp_path, limits=tsd.Limits(max_mb=3))) == 3000


@pytest.mark.skipif(not MNIST.is_dir(), reason="the MNIST test set is not available here")
def test_real_mnist_loads_under_a_cap_just_above_its_size() -> None:
    ds = tsd.load(MNIST, limits=tsd.Limits(max_mb=7.6))  # the images are 7,840,016 bytes (7.48 MiB)
    assert len(ds) == 10_000
    with pytest.raises(tsd.DataError, match=r"t10k-images-idx3-ubyte\.gz: the IDX header declares 7\.5 MiB"):
        tsd.load(MNIST, limits=tsd.Limits(max_mb=7.4))


def test_embedded_and_plain_idx_data_load_with_default_caps(tmp_path: Path) -> None:
    assert len(tsd.load("digits")) == 1797
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.ones((4, 3, 3), np.uint8)))
    _labels(tmp_path, 4, gz=False)
    assert tsd.load(tmp_path).arrays()[0].sum() == 36
