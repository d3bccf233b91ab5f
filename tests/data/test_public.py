"""The public face of ``torchscope.data``: exactly the intended names, each documented with an example."""

from __future__ import annotations

import inspect

import torchscope.data as tsd

EXPECTED = [
    "BUILTIN", "ClassBalance", "Correlation", "DataError", "Dataset", "FeatureDists", "Limits", "MeanImages",
    "PairPlot", "PixelStats", "Profile", "Projection", "SampleGrid", "class_balance", "correlation", "embeddings",
    "example_volume", "example_volume_path", "feature_dists", "from_arrays", "from_torch", "load", "load_volume",
    "mean_images", "mnist", "pairplot", "pixel_stats", "profile", "project", "samples",
]


def test_exports_are_exactly_the_intended_names() -> None:
    assert tsd.__all__ == sorted(tsd.__all__) == EXPECTED
    assert all(hasattr(tsd, name) for name in EXPECTED)


def test_every_public_function_has_a_docstring_with_an_example() -> None:
    for name in EXPECTED:
        obj = getattr(tsd, name)
        if inspect.isfunction(obj):
            assert obj.__doc__ and "``" in obj.__doc__.splitlines()[0] + obj.__doc__, name


def test_record_kinds_are_registered() -> None:
    from torchscope.records import record_class

    for cls in (tsd.ClassBalance, tsd.SampleGrid, tsd.MeanImages, tsd.PixelStats, tsd.FeatureDists, tsd.Correlation,
                tsd.PairPlot, tsd.Projection, tsd.Profile):
        assert cls.kind.startswith("data.") and record_class(cls.kind) is cls
