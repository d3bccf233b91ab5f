"""Media of the team store on object storage: images and record blobs in S3 (moto's server on
127.0.0.1, a real S3 API over HTTP, through s3fs) or a shared directory; the database keeps
references; checksums catch a changed object; deleting a run deletes its objects."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import torchscope as ts
from torchscope.errors import StoreDamagedError
from torchscope.records import GenericRecord


@pytest.fixture(scope="module")
def s3(tmp_path_factory) -> object:
    """moto's S3 server on a free loopback port, with a bucket, and the environment pointing at it."""
    pytest.importorskip("s3fs")
    moto = Path(sys.executable).with_name("moto_server")
    if not moto.exists():
        pytest.skip("moto's server is not installed (pip install 'moto[server]')")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        import s3fs

        for _ in range(100):
            try:
                s3fs.S3FileSystem(skip_instance_cache=True).mkdir("runs-media")
                break
            except Exception:
                time.sleep(0.1)
        yield "s3://runs-media/team"
    finally:
        proc.terminate()
        proc.wait(10)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _log(url: str, media: str) -> tuple[str, bytes, np.ndarray]:
    big = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)  # a PNG well over 1 KiB
    weights = os.urandom(200_000)
    with ts.init(name="media", store=url, media=media) as run:
        run.log_image("big", big, step=0)
        run.log_image("tiny", np.zeros((2, 2), np.uint8), step=0)  # under 1 KiB: stays in the database
        run.log_record(GenericRecord(kind="test.ckpt", data={"epoch": 1}, blobs={"weights": weights, "s": b"x"}),
                       step=0)
    return run.id, weights, big


def _refs(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url) as conn:
        return {"image_refs": conn.execute("SELECT count(*) FROM images WHERE ref IS NOT NULL").fetchone()[0],
                "image_bytes": conn.execute("SELECT count(*) FROM images WHERE data IS NOT NULL").fetchone()[0],
                "blob_refs": conn.execute("SELECT count(*) FROM record_blobs WHERE ref IS NOT NULL").fetchone()[0]}


def test_media_on_s3_read_back_exactly(pg_url, s3):
    import s3fs

    rid, weights, big = _log(pg_url, s3)
    assert _refs(pg_url) == {"image_refs": 1, "image_bytes": 1, "blob_refs": 1}
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    assert len(fs.find(f"runs-media/team/{rid}")) == 2  # the image and the weights
    store = ts.open(pg_url)
    assert np.array_equal(store.images(rid, "big")[0].to_numpy(), big)  # listed cheaply, loaded on use
    assert np.array_equal(store.image(rid, store.images(rid, "big")[0].id).to_numpy(), big)
    entry = store.records(rid, kind="test.ckpt")[0]
    assert entry.blobs == {"weights": weights, "s": b"x"}
    assert store.records(rid, with_blobs=True)[0].blobs["weights"] == weights
    assert store.blob(rid, entry.id, "weights") == weights
    store.delete_run(rid)
    fs.invalidate_cache()
    assert fs.find(f"runs-media/team/{rid}") == []
    store.close()


def test_media_in_a_shared_directory_and_a_changed_object_is_caught(pg_url, tmp_path):
    rid, weights, _ = _log(pg_url, str(tmp_path / "shared"))
    store = ts.open(pg_url)
    entry = store.records(rid, kind="test.ckpt")[0]
    assert entry.blobs["weights"] == weights
    (obj,) = [p for p in (tmp_path / "shared" / rid).rglob("*") if p.is_file() and p.stat().st_size == len(weights)]
    obj.write_bytes(weights[:-1] + b"!")  # someone changed the object
    with pytest.raises(StoreDamagedError, match="checksum"):
        store.blob(rid, entry.id, "weights")
    obj.unlink()
    with pytest.raises(StoreDamagedError, match="missing"):
        store.blob(rid, entry.id, "weights")
    store.close()


def test_media_is_for_the_team_store(tmp_path):
    with pytest.raises(ValueError, match="team store"):
        ts.init(dir=tmp_path, media=str(tmp_path / "m"))
