"""run.summary: a real mutable mapping. Every mutation is checked and stored (setdefault, |=, del, pop,
popitem, update, clear and assignment were silently lost or unchecked on the dict subclass); a refused
one leaves the summary as it was, in memory and on disk."""

from __future__ import annotations

from collections.abc import MutableMapping

import numpy as np
import pytest
import torch

import torchscope as ts

START = {"a": 1, "b": [1, 2]}


def _stored(store_dir, run_id):
    return ts.open(store_dir).run(run_id).summary


def _set(s):
    s["c"] = np.float32(0.5)


def _setdefault_new(s):
    assert s.setdefault("c", np.int64(3)) == 3 and type(s["c"]) is int  # returns the stored value


def _setdefault_present(s):
    assert s.setdefault("a", 99) == 1


def _ior(s):
    s |= {"c": torch.tensor(2.5)}


def _del(s):
    del s["a"]


def _pop(s):
    assert s.pop("a") == 1


def _pop_missing(s):
    assert s.pop("zzz", "default") == "default"


def _popitem(s):
    assert s.popitem() == ("b", [1, 2])  # the last item set, as dict.popitem


def _update_mapping(s):
    s.update({"c": (1, 2)}, d="x")


def _update_pairs(s):
    s.update([("c", None)])


def _clear(s):
    s.clear()


MUTATIONS = {
    "setitem": (_set, {**START, "c": 0.5}),
    "setdefault new": (_setdefault_new, {**START, "c": 3}),
    "setdefault present": (_setdefault_present, START),
    "|=": (_ior, {**START, "c": 2.5}),
    "del": (_del, {"b": [1, 2]}),
    "pop": (_pop, {"b": [1, 2]}),
    "pop missing": (_pop_missing, START),
    "popitem": (_popitem, {"a": 1}),
    "update mapping": (_update_mapping, {**START, "c": [1, 2], "d": "x"}),
    "update pairs": (_update_pairs, {**START, "c": None}),
    "clear": (_clear, {}),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_every_mutation_is_stored(store_dir, name):
    mutate, expected = MUTATIONS[name]
    with ts.init(dir=store_dir) as run:
        run.summary.update(START)
        mutate(run.summary)
        assert run.summary == expected and dict(run.summary) == expected
    assert _stored(store_dir, run.id) == expected


def test_assigning_a_mapping_replaces_the_summary(store_dir):
    with ts.init(dir=store_dir) as run:
        run.summary["old"] = 1
        summary = run.summary
        run.summary = {"new": np.float64(2.0)}
        assert run.summary is summary and run.summary == {"new": 2.0}
        with pytest.raises(TypeError, match="mapping"):
            run.summary = [("x", 1)]
    assert _stored(store_dir, run.id) == {"new": 2.0}


def test_a_change_is_visible_after_flush_while_running(store_dir):
    run = ts.init(dir=store_dir, flush_interval=3600)
    run.summary.setdefault("epochs", 3)
    run.flush()
    assert _stored(store_dir, run.id) == {"epochs": 3}
    del run.summary["epochs"]
    run.flush()
    assert _stored(store_dir, run.id) == {}
    run.finish()


BAD = [  # (key, value, error, what the message names)
    (5, 1.0, TypeError, "summary key must be a string"),
    ("", 1.0, ValueError, "summary key must be a non-empty string"),
    ("x" * 1001, 1.0, ValueError, "at most 1000 characters"),
    ("bad\udcffkey", 1.0, ValueError, "summary key"),
    ("obj", object(), TypeError, "summary['obj'] must be JSON-serializable"),
    ("nested", {"inner": [1, {2, 3}]}, TypeError, "summary['nested'] must be JSON-serializable"),
    ("text", "lone \udcff surrogate", ValueError, "summary['text'] cannot be stored"),
    ("huge", 10**5000, ValueError, "summary['huge'] cannot be stored"),
    ("tensor", torch.ones(3, 3, requires_grad=True), TypeError, "summary['tensor'] must be JSON-serializable"),
]
HOW = {
    "setitem": lambda s, k, v: s.__setitem__(k, v),
    "setdefault": lambda s, k, v: s.setdefault(k, v),
    "update": lambda s, k, v: s.update([("fine", 2.0), (k, v)]),
    "|=": lambda s, k, v: s.__ior__({"fine": 2.0, k: v}),
    "assign": lambda s, k, v: s.replace({"fine": 2.0, k: v}),
}


@pytest.mark.parametrize("how", list(HOW))
@pytest.mark.parametrize(("key", "value", "error", "match"), BAD, ids=[repr(b[0])[:12] for b in BAD])
def test_a_bad_key_or_value_raises_and_changes_nothing(store_dir, how, key, value, error, match):
    with ts.init(dir=store_dir) as run:
        run.summary.update(START)
        with pytest.raises(error, match=match.replace("[", r"\[").replace("]", r"\]")):
            HOW[how](run.summary, key, value)
        assert run.summary == START
        run.log({"after": 1.0})  # the run goes on
    assert _stored(store_dir, run.id) == START


def test_removing_a_missing_key_is_a_key_error_and_changes_nothing(store_dir):
    with ts.init(dir=store_dir) as run:
        run.summary.update(START)
        with pytest.raises(KeyError):
            del run.summary["zzz"]
        with pytest.raises(KeyError):
            run.summary.pop("zzz")
        run.summary.clear()
        with pytest.raises(KeyError):
            run.summary.popitem()
        run.summary["after"] = 1
    assert _stored(store_dir, run.id) == {"after": 1}


def test_reads_like_a_dict(store_dir):
    with ts.init(dir=store_dir) as run:
        s = run.summary
        s.update(b=2, a=1)
        assert isinstance(s, MutableMapping) and s == {"a": 1, "b": 2} and s != {"a": 1}
        assert list(s) == ["b", "a"] and len(s) == 2 and "a" in s and "z" not in s
        assert repr(s) == "{'b': 2, 'a': 1}" and s.get("z") is None and s.copy() == {"b": 2, "a": 1}
        assert s | {"c": 3} == {"b": 2, "a": 1, "c": 3} and {"c": 3} | s == {"c": 3, "b": 2, "a": 1}
        assert type(s | {}) is dict and s.copy() is not s.copy()
        assert sorted(s.items()) == [("a", 1), ("b", 2)] and sorted(s.values()) == [1, 2]
        with pytest.raises(TypeError):
            s | [1]


def test_a_change_after_finish_raises_and_changes_nothing(store_dir):
    run = ts.init(dir=store_dir)
    run.summary["a"] = 1
    run.finish()
    for change in (lambda s: s.__setitem__("b", 2), lambda s: s.__delitem__("a"), lambda s: s.update(b=2),
                   lambda s: s.setdefault("b", 2), lambda s: s.clear()):
        with pytest.raises(RuntimeError, match="is finished"):
            change(run.summary)
    assert run.summary == {"a": 1} and _stored(store_dir, run.id) == {"a": 1}
