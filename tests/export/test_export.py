"""ts.export: long-form tables, the runs table, the three frame libraries, files (Parquet, CSV) and run.history()."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest

import torchscope as ts
from torchscope.cli import main as cli

KEY = 'val/a,b "quoted"\nline'  # a key CSV must quote
VALUES = [0.1, 1 / 3, float("nan"), float("inf"), -float("inf"), 1e-310, 2.0**60 + 0.5]


@pytest.fixture
def store(tmp_path):
    with ts.init(project="p", name="first", dir=tmp_path / "s", config={"lr": 0.1, "opt": {"name": "adam"}},
                 tags=["cnn", "keep"]) as run:
        for i, v in enumerate(VALUES):
            run.log({"loss": v, KEY: float(i)}, step=i * 10)
        run.log({"loss": 7.0}, step=60)  # the same step twice: both points kept in long form
        run.log_histogram("w", np.arange(100.0), step=3, bins=8)
        run.log_histogram_raw("raw", [0.0, 0.5, 4.0], [2, 5], step=4)
        run.log_text("notes", "a, \"b\"\nc", step=1)
        run.log_image("img", np.full((3, 5, 3), 200, np.uint8), step=2, caption="cap")
        run.log_record({"x": 1, "arr": None}, kind="my.thing", key="thing", step=5)
        run.summary.update({"best": 0.9, "nested": {"a": 1}})
    with ts.init(project="p", name="second", dir=tmp_path / "s", config={"lr": "auto", "extra": [1, 2]}) as run:
        run.log({"loss": 5.0}, step=0)
    s = ts.open(tmp_path / "s")
    yield s
    s.close()


def _run_ids(store):
    return {r.name: r.id for r in store.runs()}


def test_scalars_long_form_is_every_point_exactly(store):
    t = ts.export.table(store)
    assert list(t) == ["run_id", "run", "key", "rank", "step", "wall_time", "value"]
    ids = _run_ids(store)
    run_col, key_col = t["run"].strings(), t["key"].strings()
    n = 0
    for name, rid in ids.items():
        for k in store.keys(rid, kind="scalar"):
            got = store.scalars(rid, k.key)
            mine = (run_col == name) & (key_col == k.key)
            np.testing.assert_array_equal(t["value"][mine], got.value)  # NaN and +-inf included
            np.testing.assert_array_equal(t["step"][mine], got.step)
            np.testing.assert_array_equal(t["wall_time"][mine], got.wall_time)
            assert set(t["run_id"].strings()[mine]) == {rid}
            n += len(got)
    assert len(t["value"]) == n == 2 * len(VALUES) + 2
    loss = t["value"][(run_col == "first") & (key_col == "loss")]
    assert loss[-2:].tolist() == [2.0**60 + 0.5, 7.0] and loss[5] == 1e-310


def test_runs_table_flattens_config_summary_and_tags_as_mlflow_names_them(store):
    df = ts.export.to_pandas(store, "runs").set_index("name")
    assert {"config.lr", "config.opt.name", "config.extra", "summary.best", "summary.nested.a", "tags.cnn",
            "tags.keep", "run_id", "status", "start_time", "end_time"} <= set(df.columns)
    assert df.loc["first", "config.opt.name"] == "adam" and df.loc["first", "summary.nested.a"] == 1
    assert df.loc["first", "config.lr"] == "0.1" and df.loc["second", "config.lr"] == "auto"  # a mix: text
    assert bool(df.loc["first", "tags.cnn"]) and not bool(df.loc["second", "tags.cnn"])
    assert df.loc["second", "config.extra"] == "[1, 2]" and math.isnan(df.loc["second", "summary.best"])
    assert (df["status"] == "finished").all()


def test_the_three_libraries_hold_the_same_values(store):
    pd_df = ts.export.to_pandas(store)
    table = ts.export.to_arrow(store)
    pl_df = ts.export.to_polars(store)
    assert str(pd_df["key"].dtype) == "category" and str(table.schema.field("key").type).startswith("dictionary")
    for col in ("step", "wall_time", "value"):
        np.testing.assert_array_equal(pd_df[col].to_numpy(), table.column(col).to_numpy())
        np.testing.assert_array_equal(pd_df[col].to_numpy(), pl_df[col].to_numpy())
    for col in ("run_id", "run", "key"):
        assert pd_df[col].astype(str).tolist() == table.column(col).to_pylist() == pl_df[col].cast(str).to_list()
    assert len(ts.export.to_pandas(store, keys=["loss"], runs=["second"])) == 1


def test_histograms_keep_the_stored_edges_and_counts(store):
    df = ts.export.to_pandas(store, "histograms")
    raw = df[df["key"] == "raw"]
    assert raw["lo"].tolist() == [0.0, 0.5] and raw["hi"].tolist() == [0.5, 4.0] and raw["count"].tolist() == [2, 5]
    rid = _run_ids(store)["first"]
    (h,) = store.histograms(rid, "w")
    w = df[df["key"] == "w"]
    assert w["count"].tolist() == h.counts.tolist() and w["lo"].tolist() == h.edges[:-1].tolist()


def test_export_dir_csv_is_exact_and_parquet_matches(store, tmp_path):
    pd = pytest.importorskip("pandas")
    csv_files = ts.export.export_dir(store, tmp_path / "csv", format="csv")
    pq_files = ts.export.export_dir(store, tmp_path / "pq", format="parquet")
    assert set(csv_files) == set(pq_files) == {"runs", "scalars", "histograms", "texts", "media"}
    from_csv = pd.read_csv(csv_files["scalars"])
    from_pq = pd.read_parquet(pq_files["scalars"])
    expect = ts.export.to_pandas(store)
    for df in (from_csv, from_pq):
        assert df["key"].astype(str).tolist() == expect["key"].astype(str).tolist()  # the quoted key survives
        np.testing.assert_array_equal(df["value"].to_numpy(), expect["value"].to_numpy())
        np.testing.assert_array_equal(df["wall_time"].to_numpy(), expect["wall_time"].to_numpy())
    texts = pd.read_csv(csv_files["texts"])
    assert texts["text"].tolist() == ['a, "b"\nc']
    media = pd.read_csv(csv_files["media"])
    rid = _run_ids(store)["first"]
    img = media[media["kind"] == "image"].iloc[0]
    assert (tmp_path / "csv" / img["file"]).read_bytes() == store.images(rid, "img")[0].data
    assert img["caption"] == "cap" and (img["width"], img["height"]) == (5, 3)
    rec = media[media["kind"] == "my.thing"].iloc[0]
    assert json.loads((tmp_path / "csv" / rec["file"]).read_text())["data"] == {"x": 1, "arr": None}


def test_the_cli_writes_every_table(store, tmp_path, capsys):
    assert cli(["export", str(store.location), "-o", str(tmp_path / "out"), "--format", "csv", "--run", "second"]) == 0
    assert "scalars" in capsys.readouterr().out
    text = (tmp_path / "out" / "scalars.csv").read_text().splitlines()
    assert text[0] == "run_id,run,key,rank,step,wall_time,value" and text[1].endswith(",second,loss,0,0,"
                                                                                      + text[1].split(",")[5] + ",5.0")
    assert len(text) == 2


def test_a_missing_library_is_named_with_the_extra(store, monkeypatch, tmp_path):
    for mod in ("pandas", "pyarrow", "pyarrow.parquet", "polars"):
        monkeypatch.setitem(sys.modules, mod, None)
    with pytest.raises(ImportError, match=r"to_pandas\(\) needs pandas: pip install 'torchscope\[export\]'"):
        ts.export.to_pandas(store)
    with pytest.raises(ImportError, match=r"needs pyarrow"):
        ts.export.to_arrow(store)
    with pytest.raises(ImportError, match=r"Parquet export needs polars"):
        ts.export.export_dir(store, tmp_path / "nothing", format="parquet")
    assert not (tmp_path / "nothing").exists()  # refused before writing anything
    assert ts.export.export_dir(store, tmp_path / "csv", format="csv")["scalars"].exists()  # CSV needs nothing
    assert cli(["export", str(store.location), "-o", str(tmp_path / "x")]) == 2


def test_run_history_wide_and_long(tmp_path):
    with ts.init(project="p", name="h", dir=tmp_path) as run:
        run.log({"a": 1.0, "b": 2.0}, step=0)
        run.log({"a": 3.0}, step=1)
        run.log({"a": float("nan")}, step=2)
        run.log({"a": 4.0}, step=2)  # the same step again: wide shows the last point
        wide = run.history()
        long = run.history(wide=False)
    assert wide["step"].tolist() == [0, 1, 2]
    assert wide["a"].tolist() == [1.0, 3.0, 4.0]
    assert wide["b"].tolist()[0] == 2.0 and np.isnan(wide["b"].tolist()[1:]).all()
    assert len(long) == 5 and long["key"].astype(str).tolist().count("a") == 4


def test_it_reads_through_the_provider_contract_only(store, tmp_path):
    """A MultiStore over a directory of stores answers the same tables."""
    multi = ts.open(tmp_path)
    assert type(multi).__name__ == "MultiStore"
    a, b = ts.export.table(store), ts.export.table(multi)
    np.testing.assert_array_equal(a["value"], b["value"])
    assert a["key"].strings().tolist() == b["key"].strings().tolist()
