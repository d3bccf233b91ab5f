"""The curated public face: ``import torchscope as ts`` exposes exactly these names."""

import torchscope as ts

EXPECTED = {
    "GenericRecord", "Record", "Run", "SchemaError", "Store", "StoreLocationError", "SummaryWriter", "__version__",
    "init", "open", "register_record",
}


def test_exported_names_are_exactly_the_intended_ones():
    assert set(ts.__all__) == EXPECTED
    assert list(ts.__all__) == sorted(ts.__all__)
    for name in ts.__all__:
        assert hasattr(ts, name), name


def test_every_public_callable_has_a_docstring():
    for name in ts.__all__:
        obj = getattr(ts, name)
        if callable(obj):
            assert obj.__doc__ and obj.__doc__.strip(), name
