"""Explanations of a trained model: attribution methods behind one verb, feature maps, filters, top-k.

``ts.explain(model, x, method=...)`` with ``"saliency"``, ``"smoothgrad"``,
``"integrated_gradients"`` (``"ig"``), ``"gradcam"`` or ``"occlusion"`` returns an
:class:`Attribution` record; each method is also a class with Captum's verb,
``Saliency(model).attribute(x, target=...)``. Memory stays under a budget (default 384 MB;
on a GPU 1/40 of its memory, up to 2 GB).

Example::

    ts.explain(model, x, method="ig").save("ig.png")
"""

import sys as _sys
import types as _types
from typing import Any as _Any

from .api import METHODS, explain, explainer
from .attribution import Attribution
from .base import Explainer
from .detection import Detections, detections
from .features import FeatureMaps, Filters, feature_maps, filters
from .gradcam import GradCAM
from .integrated_gradients import IntegratedGradients
from .occlusion import Occlusion
from .saliency import Saliency
from .smoothgrad import SmoothGrad
from .topk import TopK, topk

__all__ = [
    "METHODS",
    "Attribution",
    "Detections",
    "Explainer",
    "FeatureMaps",
    "Filters",
    "GradCAM",
    "IntegratedGradients",
    "Occlusion",
    "Saliency",
    "SmoothGrad",
    "TopK",
    "detections",
    "explain",
    "explainer",
    "feature_maps",
    "filters",
    "topk",
]


class _CallableModule(_types.ModuleType):
    """Importing ``torchscope.explain`` binds the package over the lazy ``ts.explain`` function (Python
    sets a submodule as an attribute of its parent), so the package itself calls
    through: ``ts.explain(model, x, method="ig")``
    works whatever was imported first."""

    def __call__(self, *args: _Any, **kwargs: _Any) -> _Any:
        return explain(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
