"""The curated public face: ``import torchscope as ts`` exposes exactly these names."""

import torchscope as ts

EXPECTED = {
    "GenericRecord", "Record", "Run", "SchemaError", "Store", "StoreLocationError", "SummaryWriter", "Volume",
    "__version__",
    "attention", "autograd_graph", "build_report", "data", "detections", "errors", "evaluate", "explain", "export",
    "feature_maps", "filters",
    "gan", "graph", "init", "open", "register_record", "summary", "topk", "volume",
}


def test_exported_names_are_exactly_the_intended_ones():
    assert set(ts.__all__) == EXPECTED
    assert list(ts.__all__) == sorted(ts.__all__)
    for name in ts.__all__:
        assert hasattr(ts, name), name


def test_capabilities_load_lazily():
    import subprocess
    import sys

    code = "import sys, torchscope as ts; print(sorted(m for m in ('torchscope.data', 'torchscope.gan', "
    code += "'torchscope.explain') if m in sys.modules)); ts.data.load; print('torchscope.data' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "True"


def test_every_public_callable_has_a_docstring():
    for name in ts.__all__:
        obj = getattr(ts, name)
        if callable(obj):
            assert obj.__doc__ and obj.__doc__.strip(), name
