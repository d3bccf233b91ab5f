"""``ts.explain``: one verb over every attribution method and every kind of input.

Methods: ``"saliency"``, ``"smoothgrad"``, ``"integrated_gradients"`` (alias ``"ig"``),
``"gradcam"`` and ``"occlusion"``; their options are passed through (``n_steps=``, ``layer=``,
``sliding_window_shapes=``...). ``target=None`` explains each sample's predicted class.

Inputs (see :mod:`._inputs`): images give an :class:`Attribution` (overlays), volumes
(``N x C x D x H x W``, a 3-D network's) a :class:`VolumeAttribution` (maps at the input's
resolution, heat overlays in the volume viewer), tabular rows a
:class:`TabularAttribution` (bars per sample, a summary over samples), sequences a
:class:`SequenceAttribution` (time x feature heat maps) and token ids a :class:`TokenAttribution`
(coloured tokens), attributed at the embedding layer (:mod:`.layer`). Where a method does not apply
(Grad-CAM without a convolutional feature map) the error says why.

Example::

    ex = ts.explain(model, x, method="gradcam")
    ex = ts.explain(net3d, torch.randn(1, 1, 32, 32, 32), method="ig"); ex.volume(0)
    ex = ts.explain(bert, tokenizer("a fine film", return_tensors="pt"), method="ig", tokenizer=tokenizer)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..evaluate._common import display_images, names_for
from ._inputs import KINDS, LAYOUTS, detect, unpack
from ._overlay import SIGNS, normalize, reduce
from .attribution import Attribution
from .base import Explainer, Result, TargetLike
from .gradcam import GradCAM
from .integrated_gradients import IntegratedGradients
from .layer import LayerExplainer, LayerIntegratedGradients, LayerSaliency, LayerSmoothGrad
from .occlusion import Occlusion
from .saliency import Saliency
from .sequence import SequenceAttribution
from .smoothgrad import SmoothGrad
from .tabular import TabularAttribution
from .tokens import TokenAttribution
from .volume import VolumeAttribution

__all__ = ["ALIASES", "METHODS", "explain", "explainer"]

METHODS: dict[str, type[Explainer]] = {c.name: c for c in (Saliency, SmoothGrad, IntegratedGradients, GradCAM,
                                                            Occlusion)}
LAYER_METHODS: dict[str, type[LayerExplainer]] = {c.name: c for c in (LayerSaliency, LayerSmoothGrad,
                                                                  LayerIntegratedGradients)}
ALIASES = {"ig": "integrated_gradients", "grad_cam": "gradcam", "integratedgradients": "integrated_gradients"}
OTHERS = "use 'ig', 'saliency', 'smoothgrad' or 'occlusion'"


def _method(method: str) -> str:
    key = ALIASES.get(method.lower(), method.lower())
    if key not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)} (or 'ig')")
    return key


def explainer(model: nn.Module, method: str = "gradcam", *, layer: Any = None, budget_mb: float | None = None,
              kind: str = "image", position: int | None = None) -> Explainer:
    """The :class:`Explainer` for a method name and a kind of input: ``explainer(model, "ig").attribute(x, target=3)``.

    For ``kind="tokens"`` the gradient methods work at the embedding layer (``layer=``, default the
    model's input embeddings) and occlusion replaces token ids.
    """
    key = _method(method)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if key == "gradcam" and kind in ("tabular", "tokens"):
        why = ("tabular rows (N x F) have no spatial or temporal axis" if kind == "tabular" else
               "a text model has no convolutional feature map over its tokens (for what it attends to, see "
               "ts.attention)")
        raise ValueError(f"gradcam does not apply to {kind} inputs: it weights a convolutional feature map, and {why}; "
                         f"{OTHERS}")
    if kind == "tokens" and key in LAYER_METHODS:
        return LAYER_METHODS[key](model, layer, budget_mb=budget_mb, position=position)
    if key == "gradcam":
        return GradCAM(model, layer=layer, budget_mb=budget_mb, position=position)
    if layer is not None:
        raise ValueError(f"layer= applies to gradcam (and to token methods' embedding layer), not {key}")
    return METHODS[key](model, budget_mb=budget_mb, position=position)


def _probabilities(out: torch.Tensor) -> torch.Tensor:
    out = out.float()
    return torch.sigmoid(torch.cat([-out, out], 1)) if out.shape[1] == 1 else torch.softmax(out, dim=1)


def explain(model: nn.Module, inputs: Any, target: TargetLike = None, method: str | None = None, *,
            kind: str | None = None, layer: Any = None, class_names: Sequence[str] | None = None,
            feature_names: Sequence[str] | None = None, tokens: Sequence[Any] | None = None, tokenizer: Any = None,
            layout: str | None = None, position: int | None = None, model_kwargs: Mapping[str, Any] | None = None,
            images: Any = None, sign: str | None = None, budget_mb: float | None = None,
            **options: Any) -> Any:
    """Explain a model's decisions on ``inputs``: ``ts.explain(model, x, method="ig")``.

    ``kind`` (``"image"``, ``"volume"``, ``"tabular"``, ``"sequence"``, ``"tokens"``) is detected from the
    inputs and the model when None; ``method`` defaults to Grad-CAM for images and volumes, Integrated
    Gradients otherwise.
    ``model_kwargs`` go to the model with the inputs (a dict of inputs, such as a tokenizer's output,
    gives its ``input_ids`` and passes the rest). Images and volumes: ``images`` are what to show
    under the maps and ``sign`` picks what overlays show. Tabular rows and sequences: ``feature_names``; sequences
    ``layout`` (``"NTF"`` or ``"NCL"``). Tokens: ``tokens`` (one list of strings per sample) or a
    ``tokenizer``; ``position`` is the output position a language model is explained at (default -1:
    the next token after the input). ``budget_mb`` bounds memory (default 384 MB, on a GPU 1/40 of its
    memory up to 2 GB, or ``$TORCHSCOPE_EXPLAIN_BUDGET_MB``).
    """
    x, kwargs = unpack(inputs, model_kwargs)
    found, found_layout = detect(model, x) if kind is None else (kind, None)
    kind = found
    if kind == "image" and x.ndim == 3:
        x = x[None]
    if kind == "volume" and x.ndim == 4:
        x = x[None]
    if kind == "volume" and x.ndim != 5:
        raise ValueError(f"volumes are N x C x D x H x W (or one C x D x H x W), got inputs of shape {tuple(x.shape)}")
    if kind == "sequence":
        layout = layout or found_layout or detect(model, x)[1]
        if layout not in LAYOUTS or x.ndim != 3:
            raise ValueError(f"sequences are N x T x F or N x C x L (layout {LAYOUTS}), got {tuple(x.shape)}, "
                             f"layout {layout!r}")
    method = method or ("gradcam" if kind in ("image", "volume") else "integrated_gradients")
    ex = explainer(model, method, layer=layer, budget_mb=budget_mb, kind=kind,
                   position=(-1 if position is None else position) if kind == "tokens" else position)
    if kind == "volume":
        ex.dense_error = f"volumes {tuple(x.shape)}"
    if isinstance(ex, GradCAM) and kind == "sequence" and layout == "NTF":
        options.setdefault("size", x.shape[1])
    x = ex._check_inputs(x)
    result = ex._run(x, target, model_kwargs=kwargs, **options)
    probs = _probabilities(result.scores if result.scores is not None else _outputs(ex, x, kwargs))
    if kind in ("image", "volume"):
        if class_names is None:  # a Hugging Face classifier's own label names
            label = _labeler(model, None, None)
            class_names = [label(i) for i in range(probs.shape[1])]
        if kind == "volume":
            return _volume_record(ex, x, result, probs, class_names, images, sign, options)
        return _image_record(ex, x, result, probs, class_names, images, sign, options)
    label = _labeler(model, class_names, tokenizer if ex.positioned else None)
    common = _common(ex, result, probs, label, options)
    attr = result.attributions.detach().float().cpu().numpy()
    if kind == "tabular":
        return TabularAttribution(attributions=attr, values=x.detach().float().cpu().numpy(),
                                  feature_names=_names(feature_names, x.shape[1], "feature_names"), **common)
    if kind == "sequence":
        return _sequence_record(ex, x, attr, layout or "NTF", feature_names, common)
    return _token_record(ex, x, attr, kwargs, tokens, tokenizer, common)


def _outputs(ex: Explainer, x: torch.Tensor, kwargs: dict[str, Any]) -> torch.Tensor:
    with ex._with_kwargs(x, kwargs):
        return ex.outputs(x)


def _labeler(model: nn.Module, class_names: Sequence[str] | None, tokenizer: Any) -> Callable[[int], str]:
    """A class index's label: a token for a language model with a tokenizer, else the class names,
    a Hugging Face config's ``id2label``, or the index."""
    if tokenizer is not None:
        return lambda i: str(tokenizer.convert_ids_to_tokens(int(i)))
    if class_names is not None:
        names = [str(c) for c in class_names]
        return lambda i: names[i] if 0 <= i < len(names) else str(i)
    id2label = getattr(getattr(model, "config", None), "id2label", None)
    if isinstance(id2label, Mapping) and id2label:
        return lambda i: str(id2label.get(i, i))
    return str


def _common(ex: Explainer, result: Result, probs: torch.Tensor, label: Callable[[int], str],
            options: dict[str, Any]) -> dict[str, Any]:
    t, pred = result.targets.cpu(), probs.argmax(dim=1).cpu()
    p = probs.cpu()
    targets, preds = t.tolist(), pred.tolist()
    return {"method": ex.name, "targets": targets, "predictions": preds,
            "target_probs": p.gather(1, t[:, None])[:, 0].tolist(),
            "pred_probs": p.gather(1, pred[:, None])[:, 0].tolist(),
            "target_labels": [label(i) for i in targets], "pred_labels": [label(i) for i in preds],
            "signed": ex.signed or options.get("abs") is False, "options": _jsonable(options)}


def _names(names: Sequence[str] | None, n: int, what: str) -> list[str]:
    if names is None:
        return [f"x{j}" for j in range(n)]
    out = [str(v) for v in names]
    if len(out) != n:
        raise ValueError(f"{what} has {len(out)} names for {n} features")
    return out


def _sequence_record(ex: Explainer, x: torch.Tensor, attr: np.ndarray, layout: str,
                     feature_names: Sequence[str] | None, common: dict[str, Any]) -> SequenceAttribution:
    values = x.detach().float().cpu().numpy()
    if layout == "NCL":
        values = values.transpose(0, 2, 1)
    if isinstance(ex, GradCAM):  # N x 1 x T: one "feature"
        attr, names = attr.transpose(0, 2, 1), ["Grad-CAM"]
    else:
        attr = attr.transpose(0, 2, 1) if layout == "NCL" else attr
        names = _names(feature_names, values.shape[2], "feature_names")
    return SequenceAttribution(attributions=np.ascontiguousarray(attr), values=np.ascontiguousarray(values),
                               feature_names=names, layout=layout, layer=getattr(ex, "layer_name", ""), **common)


def _token_record(ex: Explainer, x: torch.Tensor, attr: np.ndarray, kwargs: dict[str, Any], tokens: Any,
                  tokenizer: Any, common: dict[str, Any]) -> TokenAttribution:
    ids = x.detach().cpu().long().numpy()
    n, length = ids.shape[:2]
    scores = attr.reshape(n, length, -1).sum(axis=2) if attr.ndim > 2 else attr.reshape(n, length)
    if tokens is not None:
        lists = [list(tokens)] if tokens and isinstance(tokens[0], str) else [list(t) for t in tokens]
    elif tokenizer is not None:
        lists = [list(tokenizer.convert_ids_to_tokens(row.tolist())) for row in ids]
    else:
        lists = [[str(i) for i in row] for row in ids]
    if len(lists) != n:
        raise ValueError(f"tokens has {len(lists)} lists for {n} samples")
    for i, row in enumerate(lists):
        if len(row) != length:
            raise ValueError(f"tokens of sample {i} has {len(row)} tokens for a sequence of {length}")
    mask = kwargs.get("attention_mask")
    valid = (mask.detach().cpu().numpy() != 0) if isinstance(mask, torch.Tensor) and mask.shape == x.shape \
        else np.ones((n, length), bool)
    return TokenAttribution(tokens=[[str(t) for t in row] for row in lists], scores=scores.astype(np.float32),
                            ids=ids, valid=valid, layer=getattr(ex, "layer_name", ""),
                            position=ex.position if ex.positioned else None, **common)


def _image_record(ex: Explainer, x: torch.Tensor, result: Result, probs: torch.Tensor,
                  class_names: Sequence[str] | None, images: Any, sign: str | None,
                  options: dict[str, Any]) -> Attribution:
    t, attr = result.targets, result.attributions.detach().float().cpu()
    pred = probs.argmax(dim=1)
    sign = sign or ("positive" if ex.name == "gradcam" else "absolute")
    if sign not in SIGNS:
        raise ValueError(f"sign must be one of {SIGNS}, got {sign!r}")
    shown = display_images(images if images is not None else x.cpu())
    m = torch.from_numpy(reduce(attr.numpy(), sign))
    if x.ndim == 4 and tuple(m.shape[1:]) != shown.shape[1:3]:  # a layer-size map: upsample for display
        m = F.interpolate(m[:, None], size=shown.shape[1:3], mode="bilinear", align_corners=False)[:, 0]
    heat = normalize(m.numpy())
    signed = sign == "all"
    heat8 = (np.round(heat * 127) + 128 if signed else np.round(heat * 255)).astype(np.uint8)
    cpu_probs, t_cpu, p_cpu = probs.cpu(), t.cpu(), pred.cpu()
    return Attribution(method=ex.name, images=shown, heat=heat8, attributions=attr.numpy(),
                       targets=t_cpu.tolist(), predictions=p_cpu.tolist(),
                       target_probs=cpu_probs.gather(1, t_cpu[:, None])[:, 0].tolist(),
                       pred_probs=cpu_probs.gather(1, p_cpu[:, None])[:, 0].tolist(),
                       class_names=names_for(class_names, probs.shape[1]), sign=sign, signed=signed,
                       layer=getattr(ex, "layer_name", ""), options=_jsonable(options))


def _volume_record(ex: Explainer, x: torch.Tensor, result: Result, probs: torch.Tensor,
                   class_names: Sequence[str] | None, images: Any, sign: str | None,
                   options: dict[str, Any]) -> VolumeAttribution:
    """Maps at the input's resolution (a layer-size Grad-CAM map upsampled trilinearly) and the inputs."""
    sign = sign or ("positive" if ex.name == "gradcam" else "absolute")
    if sign not in SIGNS:
        raise ValueError(f"sign must be one of {SIGNS}, got {sign!r}")
    attr = result.attributions.detach().float()
    if tuple(attr.shape[2:]) != tuple(x.shape[2:]):
        attr = F.interpolate(attr, size=x.shape[2:], mode="trilinear", align_corners=False)
    shown = x if images is None else images
    if not isinstance(shown, (torch.Tensor, np.ndarray)):
        raise TypeError(f"images must be a tensor or array of volumes (N x C x D x H x W), got {type(shown).__name__}")
    shown_np = (shown.detach().float().cpu().numpy() if isinstance(shown, torch.Tensor)
                else np.asarray(shown, dtype=np.float32))
    if shown_np.ndim == 4:  # N x D x H x W: one channel
        shown_np = shown_np[:, None]
    if shown_np.ndim != 5 or len(shown_np) != len(x) or shown_np.shape[2:] != tuple(x.shape[2:]):
        raise ValueError(f"images must be N x C x D x H x W (or N x D x H x W) volumes like the inputs "
                         f"{tuple(x.shape)}, got {tuple(shown_np.shape)}")
    t, pred, p = result.targets.cpu(), probs.argmax(dim=1).cpu(), probs.float().cpu()
    return VolumeAttribution(method=ex.name, inputs=np.ascontiguousarray(shown_np, dtype=np.float32),
                             attributions=attr.cpu().numpy(), targets=t.tolist(), predictions=pred.tolist(),
                             target_probs=p.gather(1, t[:, None])[:, 0].tolist(),
                             pred_probs=p.gather(1, pred[:, None])[:, 0].tolist(),
                             class_names=names_for(class_names, probs.shape[1]), sign=sign, signed=sign == "all",
                             layer=getattr(ex, "layer_name", ""), options=_jsonable(options))


def _jsonable(options: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in options.items():
        if isinstance(v, torch.Tensor):
            v = v.tolist() if v.numel() <= 16 else f"tensor{tuple(v.shape)}"
        out[k] = list(v) if isinstance(v, tuple) else v
    return out
