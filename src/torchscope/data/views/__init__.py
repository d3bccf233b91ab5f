"""The data views: each function takes a torchscope Dataset and returns a drawable record.

Example::

    ts.data.class_balance(train, test).figure()
"""

from .class_balance import ClassBalance, class_balance
from .correlation import Correlation, correlation
from .feature_dists import FeatureDists, feature_dists
from .mean_images import MeanImages, mean_images
from .pairplot import PairPlot, pairplot
from .pixel_stats import PixelStats, pixel_stats
from .samples import SampleGrid, samples

__all__ = [
    "ClassBalance",
    "Correlation",
    "FeatureDists",
    "MeanImages",
    "PairPlot",
    "PixelStats",
    "SampleGrid",
    "class_balance",
    "correlation",
    "feature_dists",
    "mean_images",
    "pairplot",
    "pixel_stats",
    "samples",
]
