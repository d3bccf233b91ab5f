"""Media of the team store on object storage: images and record blobs (checkpoints, arrays) kept
through fsspec (``media="s3://bucket/prefix"``, ``gs://...``, or a shared directory), the database
keeping a reference and the checksum.

Objects are content-addressed, ``<root>/<run id>/<sha256[:2]>/<sha256>``: written once, before the
transaction that refers to them commits (so a reference never points at nothing), never rewritten,
checked against their name when read back (a changed or truncated object is an error, never wrong
bytes shown). Credentials and endpoints come from where fsspec takes them (for S3: the ``AWS_*``
environment variables, ``~/.aws``, ``AWS_ENDPOINT_URL`` for S3-compatible servers); nothing of them
is stored. Without ``media=``, everything stays in the database.

Example::

    media = Media("s3://lab-runs/media")
    ref = media.put("86ed39ce9ba3", png_bytes)     # 's3://lab-runs/media/86ed39ce9ba3/3f/3f9a...'
    assert fetch(ref) == png_bytes
"""

from __future__ import annotations

import hashlib
from typing import Any

from ...errors import StoreDamagedError, StoreUnavailableError

__all__ = ["MARKER", "MIN_BYTES", "Media", "fetch"]

MIN_BYTES = 1024  # smaller images and blobs stay in the database (an object per tiny thumbnail costs more)
# what a read of a media column returns for a reference: this prefix (random, so no stored bytes
# begin with it by chance), then the reference
MARKER = bytes.fromhex("e6e053d8deae12b2e6ffd8b63b0f0408") + b"tsref:"


def _fs(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError as exc:  # pragma: no cover - installed with the postgres extra
        raise ImportError("media= needs fsspec: pip install 'torchscope[postgres]' (and s3fs for s3://)") from exc
    try:
        return fsspec.core.url_to_fs(url)  # type: ignore[no-any-return]
    except (ImportError, ValueError) as exc:
        raise ImportError(f"cannot use the media location {url.split('?')[0]!r}: {exc}") from exc


class Media:
    """Writes a run's media under ``root`` (an fsspec URL or a directory); see the module doc."""

    def __init__(self, root: str) -> None:
        self.root = str(root).rstrip("/")
        self.fs, self.path = _fs(self.root)
        self._known: set[str] = set()

    def put(self, run_id: str, data: bytes) -> str:
        """Store ``data`` (if it is not there yet) and return its reference."""
        sha = hashlib.sha256(data).hexdigest()
        ref = f"{self.root}/{run_id}/{sha[:2]}/{sha}"
        if ref in self._known:
            return ref
        path = f"{self.path}/{run_id}/{sha[:2]}/{sha}"
        try:
            if not self.fs.exists(path):
                self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
                tmp = f"{path}.part"
                self.fs.pipe_file(tmp, data)
                self.fs.mv(tmp, path)  # complete or absent: a reader never meets half an object
        except OSError as exc:  # network, permissions, a full disk: the writer keeps the data and retries
            raise StoreUnavailableError(f"cannot write media to {self.root}: {exc}") from exc
        self._known.add(ref)
        return ref

    def remove_run(self, run_id: str) -> None:
        """Delete a run's objects (after the run's rows are gone)."""
        path = f"{self.path}/{run_id}"
        if self.fs.exists(path):
            self.fs.rm(path, recursive=True)


def fetch(ref: str) -> bytes:
    """The bytes a reference names, checked against their sha256."""
    fs, path = _fs(ref)
    try:
        data = fs.cat_file(path)
    except FileNotFoundError:
        raise StoreDamagedError(None, f"the media object {ref} is missing (deleted from the object store?)") from None
    except OSError as exc:
        raise StoreUnavailableError(f"cannot read the media object {ref}: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != path.rsplit("/", 1)[-1]:
        raise StoreDamagedError(None, f"the media object {ref} does not match its checksum (changed or truncated)")
    return bytes(data)
