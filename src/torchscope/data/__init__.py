"""torchscope's data stage: load data as people have it, and see it (``ts.data``).

Loaders return a :class:`Dataset` (a torch Dataset with class names and cheap array access);
views return records that draw themselves (matplotlib, notebook HTML) and log to a run.

Example::

    ds = ts.data.load("digits"); train, test = ds.split(0.8); ts.data.profile(train, test)
"""

from .builtin import BUILTIN
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
    "feature_dists",
    "from_arrays",
    "from_torch",
    "load",
    "mean_images",
    "pairplot",
    "pixel_stats",
    "profile",
    "project",
    "samples",
]
