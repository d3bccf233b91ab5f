"""Explanations of a trained model: attribution methods behind one verb, feature maps, filters, top-k.

``ts.explain(model, x, method=...)`` with ``"saliency"``, ``"smoothgrad"``,
``"integrated_gradients"`` (``"ig"``), ``"gradcam"`` or ``"occlusion"`` returns a record for the
kind of input: :class:`Attribution` (images), :class:`VolumeAttribution` (``N x C x D x H x W``
volumes of a 3-D network), :class:`TabularAttribution` (``N x F`` rows),
:class:`SequenceAttribution` (``N x T x F`` or ``N x C x L``) or :class:`TokenAttribution` (token
ids, attributed at the embedding layer). Each method is also a class with Captum's verb,
``Saliency(model).attribute(x, target=...)``, and ``LayerIntegratedGradients`` /
``LayerSaliency`` / ``LayerSmoothGrad`` attribute to a layer's output. Memory stays under a budget
(default 384 MB; on a GPU 1/40 of its memory, up to 2 GB).

Example::

    ts.explain(model, x, method="ig").save("ig.png")
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from .._lazy import LazyPackage as _LazyPackage
from .._lazy import lazy_package as _lazy_package

if _TYPE_CHECKING:
    from .api import METHODS, explain, explainer
    from .attribution import Attribution
    from .base import Explainer
    from .detection import Detections, detections
    from .features import FeatureMaps, Filters, feature_maps, filters
    from .gradcam import GradCAM
    from .integrated_gradients import IntegratedGradients
    from .layer import LayerIntegratedGradients, LayerSaliency, LayerSmoothGrad
    from .occlusion import Occlusion
    from .saliency import Saliency
    from .sequence import SequenceAttribution
    from .smoothgrad import SmoothGrad
    from .tabular import TabularAttribution
    from .tokens import TokenAttribution
    from .topk import TopK, topk
    from .volume import VolumeAttribution

__all__ = [
    "METHODS",
    "Attribution",
    "Detections",
    "Explainer",
    "FeatureMaps",
    "Filters",
    "GradCAM",
    "IntegratedGradients",
    "LayerIntegratedGradients",
    "LayerSaliency",
    "LayerSmoothGrad",
    "Occlusion",
    "Saliency",
    "SequenceAttribution",
    "SmoothGrad",
    "TabularAttribution",
    "TokenAttribution",
    "TopK",
    "VolumeAttribution",
    "detections",
    "explain",
    "explainer",
    "feature_maps",
    "filters",
    "topk",
]


class _CallableModule(_LazyPackage):
    """Importing ``torchscope.explain`` binds the package over the lazy ``ts.explain`` function (Python
    sets a submodule as an attribute of its parent), so the package itself calls
    through: ``ts.explain(model, x, method="ig")``
    works whatever was imported first."""

    def __call__(self, *args: _Any, **kwargs: _Any) -> _Any:
        from .api import explain

        return explain(*args, **kwargs)


# each name loads on first use: the records (torch-free) read back without the methods' torch
_lazy_package(__name__, {
    "METHODS": ".api", "explain": ".api", "explainer": ".api", "Attribution": ".attribution", "Explainer": ".base",
    "Detections": ".detection", "detections": ".detection", "FeatureMaps": ".features", "Filters": ".features",
    "feature_maps": ".features", "filters": ".features", "GradCAM": ".gradcam",
    "IntegratedGradients": ".integrated_gradients", "Occlusion": ".occlusion", "Saliency": ".saliency",
    "SmoothGrad": ".smoothgrad", "TopK": ".topk", "topk": ".topk", "LayerIntegratedGradients": ".layer",
    "LayerSaliency": ".layer", "LayerSmoothGrad": ".layer", "SequenceAttribution": ".sequence",
    "TabularAttribution": ".tabular", "TokenAttribution": ".tokens", "VolumeAttribution": ".volume",
}, cls=_CallableModule)
