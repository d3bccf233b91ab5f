"""The Provider contract, held by every implementation: the SQLite store and the many-stores reader
(the team store runs the same suite). Reads never change the store; errors are typed."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import torchscope as ts
from tests.conftest import drop_pg_schema, new_pg_schema, run_python
from torchscope.errors import InvalidArgument, NotFound, TorchscopeError
from torchscope.records import GenericRecord
from torchscope.store import MultiStore, Provider, Store
from torchscope.store.caching import CachingProvider, SeriesCache
from torchscope.store.postgres import PostgresStore

KEYS = ["train/übung", "train/损失", "val/خسارة", "emoji/🔥", "plain"]


def _log(dir: Path | str, name: str, tags: list[str]) -> str:
    with ts.init(project="conf", name=name, store=dir, tags=tags, config={"lr": 0.1}) as run:
        for i in range(300):
            run.log({k: float(i) * (j + 1) for j, k in enumerate(KEYS)}, step=i)
        run.log({"spiky": 0.0}, step=0)
        for i in range(3):
            run.log_image("img/ü", np.full((4, 6), 60 * i, np.uint8), step=i, caption=f"c{i}")
        run.log_histogram("hist", np.arange(10.0), step=5)
        run.log_text("notes/注", "hello **world**", step=1)
        run.log_record(GenericRecord(kind="test.blobby", data={"a": 1}, blobs={"raw": b"\x00\x01\x02"}), step=2)
        run.log_record({"b": 2}, kind="test.plain", step=3)
        run.log_record({"b": 3}, kind="test.plain", key="test.plain", step=4)
    return run.id


def _crashed(dir: Path | str) -> str:
    """A run whose process died without finishing (os._exit: what kill -9 leaves)."""
    proc = run_python("""
        import os, sys, torchscope as ts
        run = ts.init(project="conf", name="dead", store=sys.argv[1])
        run.log({"x": 1.0}); run.flush(); print(run.id, flush=True); os._exit(0)
    """, str(dir))
    return proc.stdout.split()[-1]


@pytest.fixture(scope="module", params=["sqlite", "multi", "caching", "postgres"])
def provider(request, tmp_path_factory) -> tuple[Provider, dict[str, str]]:
    """Built once per implementation: every test only reads (one persists a crash, idempotently)."""
    tmp_path = tmp_path_factory.mktemp(request.param)
    if request.param == "postgres":  # the team store, on a real server (a schema of its own)
        url = new_pg_schema("conf")
        ids = {"a": _log(url, "a", ["x"]), "b": _log(url, "b", ["x", "y"]), "dead": _crashed(url)}
        p = PostgresStore(url)
        p.source = url  # type: ignore[attr-defined]
        yield p, ids
        p.close()
        drop_pg_schema(url)
        return
    if request.param in ("sqlite", "caching"):
        root = tmp_path / "store"
        ids = {"a": _log(root, "a", ["x"]), "b": _log(root, "b", ["x", "y"]), "dead": _crashed(root)}
        p: Provider = Store(root) if request.param == "sqlite" else CachingProvider(Store(root), max_age=0.0)
    else:  # SummaryWriter's layout: one store per run directory
        root = tmp_path / "runs"
        ids = {"a": _log(root / "a", "a", ["x"]), "b": _log(root / "b", "b", ["x", "y"]),
               "dead": _crashed(root / "dead")}
        p = MultiStore(root)
    yield p, ids
    p.close()


def _fingerprint(root: Path | str) -> dict[str, str]:
    """The store's bytes (files), or every row of every table (a PostgreSQL store)."""
    if isinstance(root, str):
        import psycopg

        with psycopg.connect(root) as conn:
            tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = "
                                                 "current_schema() ORDER BY tablename")]
            return {t: hashlib.sha256(repr(sorted(conn.execute(f"SELECT * FROM {t}").fetchall())).encode()).hexdigest()
                    for t in tables}
    return {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(root.rglob("torchscope.db*")) if f.stat().st_size}


def test_it_is_a_provider(provider):
    p, _ = provider
    assert isinstance(p, Provider) and isinstance(ts.open(getattr(p, "source", p.location)), Provider)


def test_runs_and_filters(provider):
    p, ids = provider
    runs = p.runs()
    assert [r.id for r in runs][:3] == [ids["dead"], ids["b"], ids["a"]]  # newest first
    assert {r.id for r in p.runs(tags=["y"])} == {ids["b"]}
    assert {r.id for r in p.runs(project="conf", tags=["x"])} == {ids["a"], ids["b"]}
    assert p.runs(project="nope") == []
    assert {r.id for r in p.runs(status="crashed")} == {ids["dead"]}
    assert p.run(ids["a"]).config == {"lr": 0.1} and p.run(ids["a"]).status == "finished"
    assert p.projects() == ["conf"]
    with pytest.raises(InvalidArgument):
        p.runs(status="bogus")


def test_a_dead_process_reads_as_crashed_without_writing(provider):
    p, ids = provider
    root = getattr(p, "source", None) or p.dir
    before = _fingerprint(root)
    info = p.run(ids["dead"])
    assert info.status == "crashed" and "stopped without finishing" in info.error and info.ended
    for rid in ids.values():  # every read of the contract, on every run
        for k in p.keys(rid):
            if k.kind == "scalar":
                p.scalars(rid, k.key, rank=k.rank, downsample=10)
            elif k.kind == "image":
                assert all(e.data for e in p.images(rid, k.key))
            elif k.kind == "histogram":
                p.histograms(rid, k.key)
            elif k.kind == "text":
                p.texts(rid, k.key)
            else:
                assert all(e.record is not None for e in p.records(rid, key=k.key))
    p.runs(status="running")
    assert _fingerprint(root) == before, "a read changed the store"
    assert p.refresh_status() == [ids["dead"]]  # the one explicit write
    assert p.refresh_status() == []
    assert p.run(ids["dead"]).status == "crashed"


def test_keys_in_any_script(provider):
    p, ids = provider
    keys = {(k.key, k.kind) for k in p.keys(ids["a"])}
    assert {(k, "scalar") for k in KEYS} <= keys
    assert {("img/ü", "image"), ("hist", "histogram"), ("notes/注", "text"), ("test.blobby", "record")} <= keys
    assert {k.key for k in p.keys(ids["a"], kind="image")} == {"img/ü"}
    for key in KEYS:
        got = p.scalars(ids["a"], key)
        assert got.key == key and len(got) == 300


def test_scalars_exact_downsampled_and_ranged(provider):
    p, ids = provider
    exact = p.scalars(ids["a"], "plain")
    assert exact.step.tolist() == list(range(300)) and exact.value[-1] == 299.0 * 5
    view = p.scalars(ids["a"], "plain", downsample=10)
    assert view.downsampled and len(view) <= 10 and view.total == 300 and view.max.max() == 299.0 * 5
    part = p.scalars(ids["a"], "plain", x_range=(100, 199))
    assert part.step[0] == 100 and part.step[-1] == 199
    by_wall = p.scalars(ids["a"], "plain", x="wall_time")
    assert len(by_wall) == 300


def test_images_list_cheaply_and_load_on_use(provider):
    p, ids = provider
    listed = p.images(ids["a"], "img/ü")
    assert [e.step for e in listed] == [0, 1, 2] and not any(e.loaded for e in listed)
    assert [e.caption for e in listed] == ["c0", "c1", "c2"]
    assert listed[2].to_numpy().max() == 120 and listed[2].loaded
    full = p.images(ids["a"], "img/ü", with_data=True)
    assert all(e.loaded for e in full) and full[1].data == listed[1].data
    one = p.image(ids["a"], listed[1].id)
    assert one.loaded and one.data == full[1].data and one.step == 1 and one.key == "img/ü"
    assert [e.step for e in p.images(ids["a"], "img/ü", step=2)] == [2]


def test_records_blobs_load_on_use(provider):
    p, ids = provider
    (entry,) = p.records(ids["a"], kind="test.blobby")
    assert entry.blob_names == ("raw",) and entry.data == {"a": 1}
    assert entry.record.blobs["raw"] == b"\x00\x01\x02"
    (loaded,) = p.records(ids["a"], kind="test.blobby", with_blobs=True)
    assert loaded.blobs == {"raw": b"\x00\x01\x02"}
    by_id = p.record(ids["a"], entry.id)
    assert by_id.kind == "test.blobby" and by_id.blobs == {"raw": b"\x00\x01\x02"}
    assert p.blob(ids["a"], entry.id, "raw") == b"\x00\x01\x02"
    assert p.latest(ids["a"], "test.plain").data == {"b": 3}
    assert p.latest(ids["a"], "test.plain", key="test.plain").data == {"b": 3}
    assert [e.step for e in p.records(ids["a"], kind="test.plain")] == [3, 4]


def test_latest_is_the_last_listed_and_the_record_by_id(provider):
    p, ids = provider
    for kind, key in (("test.plain", None), ("test.plain", "test.plain"), ("test.blobby", None)):
        last = p.records(ids["a"], kind=kind, key=key)[-1]
        for rec in (p.latest(ids["a"], kind, key=key), p.record(ids["a"], last.id).record):
            assert (rec.kind, rec.data, rec.blobs) == (last.record.kind, last.record.data, last.record.blobs)


def test_histograms_and_texts(provider):
    p, ids = provider
    (h,) = p.histograms(ids["a"], "hist")
    assert h.step == 5 and h.counts.sum() == 10
    (t,) = p.texts(ids["a"], "notes/注")
    assert t.text == "hello **world**" and t.step == 1


@pytest.mark.parametrize("call", [
    lambda p, r: p.run("nope"),
    lambda p, r: p.keys("nope"),
    lambda p, r: p.scalars("nope", "plain"),
    lambda p, r: p.scalars(r, "nope"),
    lambda p, r: p.scalars(r, "plain", rank=3),
    lambda p, r: p.images(r, "nope"),
    lambda p, r: p.image(r, 10**9),
    lambda p, r: p.histograms(r, "nope"),
    lambda p, r: p.texts(r, "nope"),
    lambda p, r: p.records("nope"),
    lambda p, r: p.record(r, 10**9),
    lambda p, r: p.latest(r, "no.kind"),
    lambda p, r: p.blob(r, 10**9, "raw"),
])
def test_what_is_not_there_is_not_found(provider, call):
    p, ids = provider
    with pytest.raises(NotFound) as err:
        call(p, ids["a"])
    assert err.value.status == 404 and isinstance(err.value, KeyError)
    assert not str(err.value).startswith(("'", '"'))  # a message, not a quoted KeyError


def test_another_runs_ids_are_not_found(provider):
    p, ids = provider
    img = p.images(ids["a"], "img/ü")[0].id
    rec = p.records(ids["a"], kind="test.blobby")[0].id
    for call in (lambda: p.image(ids["b"], img), lambda: p.record(ids["b"], rec),
                 lambda: p.blob(ids["b"], rec, "raw")):
        if isinstance(p, MultiStore):  # ids are per store: another store's id may exist there
            continue
        with pytest.raises(NotFound):
            call()


@pytest.mark.parametrize("call", [
    lambda p, r: p.keys(r, kind="bogus"),
    lambda p, r: p.scalars(r, "plain", downsample=0),
    lambda p, r: p.scalars(r, "plain", x="epoch"),
    lambda p, r: p.image(r, "1; DROP TABLE images"),
    lambda p, r: p.record(r, 2**70),
    lambda p, r: p.runs(status="done"),
])
def test_what_cannot_be_answered_is_invalid(provider, call):
    p, ids = provider
    with pytest.raises(InvalidArgument) as err:
        call(p, ids["a"])
    assert err.value.status == 400 and isinstance(err.value, (ValueError, TorchscopeError))


def test_record_with_a_kind_still_works_with_a_warning(tmp_path):
    rid = _log(tmp_path, "a", [])
    with pytest.warns(DeprecationWarning, match="latest"):
        assert ts.open(tmp_path).record(rid, "test.plain").data == {"b": 3}


def test_the_file_is_untouched_by_a_reader_of_a_read_only_copy(tmp_path):
    """A store on read-only media opens and reads (derived crash status included)."""
    root = tmp_path / "ro"
    rid = _crashed(root)
    os.chmod(root / "torchscope.db", 0o444)
    store = Store(root)
    assert store.run(rid).status == "crashed"
    store.close()


# -- what the caching provider keeps (the dashboard's one read cache) ------------------------------
class _Counted:
    """A provider that counts the calls that read records."""

    def __init__(self, inner: Provider) -> None:
        self.inner, self.calls = inner, Counter()

    def __getattr__(self, name: str) -> Any:
        if name in ("records", "record", "latest"):
            self.calls[name] += 1
        return getattr(self.inner, name)


def _big(run: Any, step: int, size: int = 50_000) -> None:
    run.log_record(GenericRecord(kind="test.big", data={"i": step}, blobs={"raw": bytes([step]) * size}), step=step)


def test_the_caching_provider_keeps_listings_of_finished_runs_and_each_record_rebuilt_once(tmp_path):
    root = tmp_path / "s"
    with ts.init(dir=root, name="done") as done:
        for i in range(3):
            _big(done, i)
    live = ts.init(dir=root, name="live")
    _big(live, 0)
    live.flush()
    inner = _Counted(Store(root))
    p = CachingProvider(inner, max_age=0.0, cache=SeriesCache(1 << 20))  # type: ignore[arg-type]
    a, b = p.records(done.id, kind="test.big"), p.records(done.id, kind="test.big", with_blobs=True)
    assert inner.calls["records"] == 1 and [e.data for e in a] == [{"i": 0}, {"i": 1}, {"i": 2}]
    rec = a[-1].record  # rebuilt once, shared by every listing, latest() and record(id)
    assert rec is b[-1].record is p.latest(done.id, "test.big") is p.record(done.id, a[-1].id).record
    assert rec.blobs["raw"] == bytes([2]) * 50_000 and b[0].blobs == {"raw": bytes(50_000)}
    assert inner.calls["record"] == 3 and inner.calls["latest"] == 0  # rebuilt, blobs of 2, blobs of 0
    assert p.cache.bytes <= p.cache.max_bytes
    # a running run's listing is read fresh (a new record shows at once); its records by id are kept
    first = p.records(live.id, kind="test.big")[0].record
    _big(live, 1)
    live.flush()
    now = p.records(live.id, kind="test.big")
    assert [e.data for e in now] == [{"i": 0}, {"i": 1}] and now[0].record is first
    assert inner.calls["records"] == 3
    # a changed or deleted run is forgotten
    p.invalidate(done.id)
    assert p.records(done.id, kind="test.big")[-1].record is not rec and inner.calls["records"] == 4
    live.finish()


def test_the_caching_provider_keeps_records_within_its_byte_budget(tmp_path):
    root = tmp_path / "s"
    with ts.init(dir=root, name="done") as done:
        for i in range(3):
            _big(done, i)
    p = CachingProvider(Store(root), max_age=0.0, cache=SeriesCache(130_000))  # two records fit, not three
    entries = p.records(done.id, kind="test.big")
    recs = [e.record for e in entries]
    assert p.cache.bytes <= 130_000
    assert entries[2].record is recs[2] and entries[0].record is not recs[0]  # the oldest was dropped
    tiny = CachingProvider(Store(root), max_age=0.0, cache=SeriesCache(30_000))  # a record is larger: not kept
    e = tiny.records(done.id, kind="test.big")[0]
    assert e.record is not e.record and e.record.blobs["raw"] == bytes(50_000) and tiny.cache.bytes <= 30_000


def test_concurrent_asks_for_the_same_answer_load_it_once():
    cache, calls, gate = SeriesCache(1 << 20), Counter(), threading.Event()

    def load() -> bytes:
        calls["load"] += 1
        gate.wait(5)
        return b"x" * 10

    got: list[bytes] = []
    threads = [threading.Thread(target=lambda: got.append(cache.get_or_load(("k",), load, len))) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    gate.set()
    for t in threads:
        t.join(5)
    assert calls["load"] == 1 and got == [b"x" * 10] * 4 and cache.stats()["hits"] == 3

    def fail() -> bytes:
        raise NotFound("not there")

    for _ in range(2):  # a failed load keeps nothing and leaves no one waiting
        with pytest.raises(NotFound):
            cache.get_or_load(("gone",), fail, len)
    assert cache.get(("gone",)) is None


def test_kept_series_are_answered_without_the_reading_threads(tmp_path):
    root = tmp_path / "s"
    ids = []
    for r in range(4):
        with ts.init(dir=root, name=f"r{r}") as run:
            run.log({"loss": float(r)}, step=0)
        ids.append(run.id)
    p = CachingProvider(Store(root), max_age=60.0, workers=4)
    first = p.scalars_many([*ids, "nope"], "loss", downsample=8)
    assert p._pool is not None
    assert [s.value.tolist() if s else None for s in first] == [[0.0], [1.0], [2.0], [3.0], None]

    class NoPool:
        def map(self, *args: Any) -> Any:
            raise AssertionError("a kept answer went through the reading threads")

    pool, p._pool = p._pool, NoPool()  # type: ignore[assignment]
    again = p.scalars_many(ids, "loss", downsample=8)
    assert all(a is b for a, b in zip(again, first))
    assert p.scalars_many([ids[0], "nope"], "loss", downsample=8)[1] is None
    pool.shutdown()
    p._pool = None
