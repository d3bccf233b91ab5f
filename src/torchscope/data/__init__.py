"""torchscope's data stage: load data as people have it, and see it (``ts.data``).

Loaders return a :class:`Dataset` (a torch Dataset with class names and cheap array access);
views return records that draw themselves (matplotlib, notebook HTML) and log to a run.

Example::

    ds = ts.data.load("mnist"); train, test = ds.split(0.8); ts.data.profile(train, test)
    x, y = ts.data.mnist()   # the embedded MNIST test set as tensors (10000 x 1 x 28 x 28, labels)
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_package

if TYPE_CHECKING:
    from ..volume.examples import example_volume, example_volume_path, load_volume
    from .builtin import BUILTIN, mnist
    from .convert import from_arrays, from_torch
    from .dataset import DataError, Dataset
    from .embed import embeddings
    from .limits import Limits
    from .load import load
    from .profile import Profile, profile
    from .projection import Projection
    from .projector import project
    from .views import (
        ClassBalance,
        Correlation,
        FeatureDists,
        MeanImages,
        PairPlot,
        PixelStats,
        SampleGrid,
        class_balance,
        correlation,
        feature_dists,
        mean_images,
        pairplot,
        pixel_stats,
        samples,
    )

__all__ = [
    "BUILTIN",
    "ClassBalance",
    "Correlation",
    "DataError",
    "Dataset",
    "FeatureDists",
    "Limits",
    "MeanImages",
    "PairPlot",
    "PixelStats",
    "Profile",
    "Projection",
    "SampleGrid",
    "class_balance",
    "correlation",
    "embeddings",
    "example_volume",
    "example_volume_path",
    "feature_dists",
    "from_arrays",
    "from_torch",
    "load",
    "load_volume",
    "mean_images",
    "mnist",
    "pairplot",
    "pixel_stats",
    "profile",
    "project",
    "samples",
]

# each name loads on first use: the records read back (and `torchscope serve`) without torch
lazy_package(__name__, {
    "BUILTIN": ".builtin", "mnist": ".builtin", "from_arrays": ".convert", "from_torch": ".convert",
    "example_volume": "..volume.examples", "example_volume_path": "..volume.examples",
    "load_volume": "..volume.examples", "DataError": ".dataset", "Dataset": ".dataset", "embeddings": ".embed",
    "Limits": ".limits", "load": ".load",
    "Profile": ".profile", "profile": ".profile", "Projection": ".projection", "project": ".projector",
    "ClassBalance": ".views", "Correlation": ".views", "FeatureDists": ".views", "MeanImages": ".views",
    "PairPlot": ".views", "PixelStats": ".views", "SampleGrid": ".views", "class_balance": ".views",
    "correlation": ".views", "feature_dists": ".views", "mean_images": ".views", "pairplot": ".views",
    "pixel_stats": ".views", "samples": ".views",
})
