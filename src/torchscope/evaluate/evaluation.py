"""``ts.evaluate``: a trained classifier's predictions, and every evaluation view of them.

Give a model and a loader (batches ``(x, y, ...)`` or dicts with ``x``/``image``/``input`` and
``y``/``label``/``target``), or the predictions themselves. Scores are softmax probabilities
(one logit column: sigmoid, binary). Every view is a record: a figure, notebook HTML,
``run.log_record(...)`` and the dashboard.

Example::

    ev = ts.evaluate(model, test_loader, class_names=names)
    ev.confusion_matrix().save("cm.png"); ev.calibration().ece
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch

from ._common import display_images, names_for
from .calibration import Calibration, calibration
from .confusion import ConfusionMatrix, confusion_matrix
from .curves import Curves, curves
from .mistakes import Mistakes, MostConfused, most_confused
from .per_class import PerClass, per_class

__all__ = ["Evaluation", "evaluate"]


class Evaluation:
    """Labels, predictions and (optional) scores of one evaluation, with a method per view."""

    def __init__(self, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None,
                 class_names: list[str], *, mistake_indices: np.ndarray | None = None,
                 mistake_images: np.ndarray | None = None) -> None:
        self.y_true, self.y_pred, self.y_score = y_true, y_pred, y_score
        self.class_names = class_names
        self._mistake_indices, self._mistake_images = mistake_indices, mistake_images

    def __repr__(self) -> str:
        return (f"Evaluation({len(self.y_true)} samples, {len(self.class_names)} classes, "
                f"accuracy {self.accuracy:.4f})")

    @property
    def accuracy(self) -> float:
        """Share of samples predicted right."""
        return float((self.y_true == self.y_pred).mean()) if len(self.y_true) else 0.0

    def confusion_matrix(self) -> ConfusionMatrix:
        """Counts per (true, predicted) class: ``ev.confusion_matrix().normalized("true")``."""
        return confusion_matrix(self.y_true, self.y_pred, self.class_names)

    def per_class(self) -> PerClass:
        """Precision, recall, F1 and support per class: ``ev.per_class().f1``."""
        return per_class(self.y_true, self.y_pred, self.class_names)

    def _scores(self, view: str) -> np.ndarray:
        if self.y_score is None:
            raise ValueError(f"{view} needs scores: pass y_score= (N x K probabilities) or evaluate a model")
        return self.y_score

    def pr_curves(self, *, max_points: int = 500) -> Curves:
        """Precision-recall curves and average precision per class: ``ev.pr_curves().auc``."""
        return curves(self.y_true, self._scores("pr_curves()"), self.class_names, "pr", max_points=max_points)

    def roc_curves(self, *, max_points: int = 500) -> Curves:
        """ROC curves and AUC per class: ``ev.roc_curves().auc``."""
        return curves(self.y_true, self._scores("roc_curves()"), self.class_names, "roc", max_points=max_points)

    def calibration(self, *, bins: int = 15) -> Calibration:
        """Reliability diagram and ECE (Guo et al. 2017): ``ev.calibration().ece``."""
        return calibration(self.y_true, self._scores("calibration()"), bins=bins)

    def most_confused(self, k: int = 10) -> MostConfused:
        """The ``k`` most frequent (true, predicted) mistakes: ``ev.most_confused(k=5)``."""
        cm = self.confusion_matrix()
        return most_confused(cm.counts, cm.class_names, k)

    def mistakes(self, k: int = 64) -> Mistakes:
        """The ``k`` most confident mistakes, with images when known: ``ev.mistakes(k=16).save("m.png")``."""
        wrong = np.flatnonzero(self.y_true != self.y_pred)
        if self.y_score is not None:
            conf = self.y_score[wrong, self.y_pred[wrong]]
            true_p = self.y_score[wrong, self.y_true[wrong]]
        else:
            conf = true_p = np.full(len(wrong), np.nan)
        order = np.argsort(-np.nan_to_num(conf, nan=-1.0), kind="stable")[:k]
        idx = wrong[order]
        images = np.zeros((0, 1, 1, 1), np.uint8)
        if self._mistake_images is not None and len(idx):
            where = {int(s): n for n, s in enumerate(self._mistake_indices)}  # type: ignore[arg-type]
            if all(int(i) in where for i in idx):
                images = self._mistake_images[[where[int(i)] for i in idx]]
        return Mistakes(class_names=self.class_names, indices=idx.tolist(), y_true=self.y_true[idx].tolist(),
                        y_pred=self.y_pred[idx].tolist(), confidence=conf[order].tolist(),
                        true_prob=true_p[order].tolist(), images=images)


def _as_array(v: Any, name: str, ndim: tuple[int, ...]) -> np.ndarray:
    arr = v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v)
    if arr.ndim not in ndim:
        raise ValueError(f"{name} must have {' or '.join(map(str, ndim))} dimensions, got shape {arr.shape}")
    return arr


def _probabilities(out: torch.Tensor) -> torch.Tensor:
    out = out.float()
    if out.ndim == 1 or out.shape[-1] == 1:
        p = torch.sigmoid(out.reshape(-1))
        return torch.stack([1 - p, p], dim=1)
    return torch.softmax(out, dim=1)


def _split_batch(batch: Any) -> tuple[Any, Any]:
    if isinstance(batch, dict):
        x = next((batch[k] for k in ("x", "image", "images", "input", "inputs") if k in batch), None)
        y = next((batch[k] for k in ("y", "label", "labels", "target", "targets") if k in batch), None)
        if x is None or y is None:
            raise ValueError(f"evaluate: a dict batch needs an input key (x/image/input) and a label key "
                             f"(y/label/target); got keys {sorted(batch)}")
        return x, y
    if isinstance(batch, (tuple, list)) and len(batch) >= 2:
        return batch[0], batch[1]
    raise ValueError(f"evaluate: each batch must be (inputs, labels, ...) or a dict, got {type(batch).__name__}")


@torch.no_grad()
def _run(model: torch.nn.Module, loader: Iterable[Any], keep: int) -> tuple[np.ndarray, ...]:
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    ys, scores = [], []
    kept_idx, kept_img, kept_conf = np.zeros(0, np.int64), None, np.zeros(0)
    seen = 0
    was_training = model.training
    model.eval()
    try:
        for batch in loader:
            x, y = _split_batch(batch)
            p = _probabilities(model(x.to(device))).cpu()
            y = torch.as_tensor(y).reshape(-1).long().cpu()
            ys.append(y)
            scores.append(p)
            conf, pred = p.max(dim=1)
            wrong = torch.nonzero(pred != y).reshape(-1).numpy()
            if len(wrong) and keep and x.ndim in (3, 4):  # images (not table rows) for the gallery
                imgs = display_images(x[torch.as_tensor(wrong)].cpu())
                all_idx = np.r_[kept_idx, wrong + seen]
                all_conf = np.r_[kept_conf, conf.numpy()[wrong]]
                all_img = imgs if kept_img is None else np.concatenate([kept_img, imgs])
                top = np.argsort(-all_conf, kind="stable")[:keep]
                kept_idx, kept_conf, kept_img = all_idx[top], all_conf[top], all_img[top]
            seen += len(y)
    finally:
        model.train(was_training)
    if not ys:
        raise ValueError("evaluate: the loader yielded no batches")
    return (torch.cat(ys).numpy(), torch.cat(scores).numpy().astype(np.float64), kept_idx,
            kept_img if kept_img is not None else np.zeros((0, 1, 1, 1), np.uint8))


def evaluate(model: torch.nn.Module | None = None, loader: Iterable[Any] | None = None, *,
             class_names: Sequence[str] | None = None, y_true: Any = None, y_pred: Any = None,
             y_score: Any = None, images: Any = None, keep_mistakes: int = 256) -> Evaluation:
    """Evaluate a classifier: ``ts.evaluate(model, loader)`` or ``ts.evaluate(y_true=y, y_pred=p)``.

    ``y_score`` is ``(N, K)`` probabilities (or ``(N,)`` positive-class scores for a binary
    problem); ``y_pred`` defaults to its argmax. ``images`` (N samples, for ``mistakes()``) is
    optional. With a model, the ``keep_mistakes`` most confident mistakes keep their images.
    """
    score: np.ndarray | None
    m_idx: np.ndarray | None
    m_img: np.ndarray | None
    if model is not None:
        if loader is None:
            raise ValueError("evaluate(model, loader): give the loader too (or y_true=/y_pred= without a model)")
        yt, score, m_idx, m_img = _run(model, loader, keep_mistakes)
        yp = score.argmax(axis=1)
    else:
        if y_true is None or (y_pred is None and y_score is None):
            raise ValueError("evaluate: give (model, loader), or y_true= with y_pred= and/or y_score=")
        yt = _as_array(y_true, "y_true", (1,)).astype(np.int64)
        score = None if y_score is None else _as_array(y_score, "y_score", (1, 2)).astype(np.float64)
        if score is not None and score.ndim == 1:
            score = np.stack([1 - score, score], axis=1)
        if y_pred is None:
            assert score is not None  # checked above: y_pred or y_score
            yp = score.argmax(axis=1)
        else:
            yp = _as_array(y_pred, "y_pred", (1,)).astype(np.int64)
        if len(yp) != len(yt) or (score is not None and len(score) != len(yt)):
            raise ValueError(f"evaluate: y_true has {len(yt)} samples but y_pred/y_score have "
                             f"{len(yp)}/{None if score is None else len(score)}")
        m_idx = np.arange(len(yt)) if images is not None else None
        m_img = display_images(images) if images is not None else None
    k = max(len(class_names or []), int(yt.max(initial=-1)) + 1, int(yp.max(initial=-1)) + 1,
            0 if score is None else score.shape[1])
    if min(yt.min(initial=0), yp.min(initial=0)) < 0:
        raise ValueError("evaluate: labels must be non-negative class indices")
    if score is not None and score.shape[1] < k:
        raise ValueError(f"evaluate: y_score has {score.shape[1]} columns but labels go up to class {k - 1}")
    return Evaluation(yt, yp, score, names_for(class_names, k), mistake_indices=m_idx, mistake_images=m_img)
