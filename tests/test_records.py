"""The records registry: torchscope's own kinds are found by name, imported on first use."""

from __future__ import annotations

import importlib
import pkgutil

import torchscope
from torchscope.records import _REGISTRY, BUILTIN_KINDS, GenericRecord, rebuild, record_class


def test_builtin_kinds_name_every_registered_class_of_torchscope():
    for info in pkgutil.walk_packages(torchscope.__path__, "torchscope."):
        if ".server" not in info.name and ".integrations" not in info.name and not info.name.endswith("__main__"):
            importlib.import_module(info.name)  # every module that registers a record class
    ours = {kind: f"{cls.__module__}:{cls.__qualname__}" for kind, cls in _REGISTRY.items()
            if cls.__module__.startswith("torchscope.")}
    assert ours == BUILTIN_KINDS
    for kind in BUILTIN_KINDS:
        assert record_class(kind) is _REGISTRY[kind]


def test_an_unknown_kind_reads_back_generic():
    rec = rebuild("data.not_a_view", {"a": 1}, {})
    assert isinstance(rec, GenericRecord) and rec["a"] == 1
    assert record_class("data.not_a_view") is None
