"""Evaluation numbers against scikit-learn on the same predictions: binary, multi-class, a class never predicted."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn import metrics

import torchscope.evaluate as V
from torchscope.records import rebuild


def _problem(k: int, n: int = 400, seed: int = 0, never: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.2
    if never is not None:
        logits[:, never] -= 20
    p = np.exp(logits - logits.max(1, keepdims=True))
    return y, p / p.sum(1, keepdims=True)


CASES = {"binary": (2, None), "multiclass": (6, None), "never_predicted": (4, 3)}


@pytest.mark.parametrize("case", list(CASES))
def test_confusion_and_per_class_match_sklearn(case: str) -> None:
    k, never = CASES[case]
    y, p = _problem(k, never=never)
    ev = V.evaluate(y_true=y, y_score=p)
    pred = p.argmax(1)
    if never is not None:
        assert (pred != never).all()
    cm = ev.confusion_matrix()
    np.testing.assert_array_equal(cm.counts, metrics.confusion_matrix(y, pred, labels=range(k)))
    np.testing.assert_allclose(cm.normalized("true"),
                               metrics.confusion_matrix(y, pred, labels=range(k), normalize="true"))
    i, j = 1, 0
    assert all(y[s] == i and pred[s] == j for s in cm.cell_samples[f"{i},{j}"])
    pc = ev.per_class()
    pr, rc, f1, sup = metrics.precision_recall_fscore_support(y, pred, labels=range(k), zero_division=0)
    np.testing.assert_allclose(pc.precision, pr)
    np.testing.assert_allclose(pc.recall, rc)
    np.testing.assert_allclose(pc.f1, f1)
    np.testing.assert_array_equal(pc.support, sup)
    assert pc.accuracy == pytest.approx(metrics.accuracy_score(y, pred))
    assert pc.averages["macro"]["f1"] == pytest.approx(metrics.f1_score(y, pred, average="macro", zero_division=0))
    assert pc.averages["weighted"]["precision"] == pytest.approx(
        metrics.precision_score(y, pred, average="weighted", zero_division=0))


@pytest.mark.parametrize("case", list(CASES))
def test_curves_match_sklearn(case: str) -> None:
    k, never = CASES[case]
    y, p = _problem(k, never=never, seed=1)
    ev = V.evaluate(y_true=y, y_score=p)
    roc, pr = ev.roc_curves(), ev.pr_curves()
    classes = [1] if k == 2 else range(k)
    assert len(roc.area) == len(classes)
    for n, c in enumerate(classes):
        assert roc.area[n] == pytest.approx(metrics.roc_auc_score(y == c, p[:, c]), abs=1e-12)
        assert pr.area[n] == pytest.approx(metrics.average_precision_score(y == c, p[:, c]), abs=1e-12)
        fpr, tpr, _ = metrics.roc_curve(y == c, p[:, c], drop_intermediate=False)
        np.testing.assert_allclose(roc.x[n], fpr)
        np.testing.assert_allclose(roc.y[n], tpr)


def test_curves_thin_long_curves_but_keep_exact_area() -> None:
    y, p = _problem(3, n=5000, seed=2)
    roc = V.evaluate(y_true=y, y_score=p).roc_curves(max_points=100)
    assert all(len(x) <= 101 for x in roc.x)
    assert roc.x[0][0] == 0 and roc.x[0][-1] == 1 and roc.y[0][-1] == 1
    assert roc.area[2] == pytest.approx(metrics.roc_auc_score(y == 2, p[:, 2]))


def test_class_without_positives_has_nan_area() -> None:
    y = np.array([0, 1, 0, 1])
    p = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.5, 0.3, 0.2], [0.1, 0.6, 0.3]])
    roc = V.evaluate(y_true=y, y_score=p).roc_curves()
    assert np.isnan(roc.area[2]) and roc.x[2] == [] and roc.positives == [2, 2, 0]
    roc.figure()  # draws without the empty class


def test_calibration_ece_by_hand() -> None:
    y, p = _problem(5, n=1000, seed=3)
    cal = V.evaluate(y_true=y, y_score=p).calibration(bins=15)
    conf, correct = p.max(1), p.argmax(1) == y
    ece = 0.0
    for lo, hi in zip(np.linspace(0, 1, 16)[:-1], np.linspace(0, 1, 16)[1:]):
        inside = (conf > lo) & (conf <= hi)
        if inside.any():
            ece += inside.mean() * abs(correct[inside].mean() - conf[inside].mean())
    assert cal.ece == pytest.approx(ece)
    assert sum(cal.counts) == 1000
    perfect = V.evaluate(y_true=np.zeros(10, int), y_score=np.tile([1.0, 0.0], (10, 1))).calibration()
    assert perfect.ece == 0.0


def test_most_confused_and_mistakes() -> None:
    y = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    pred = np.array([1, 1, 0, 1, 2, 0, 0, 0, 2])
    score = np.full((9, 3), 0.1)
    score[np.arange(9), pred] = np.linspace(0.5, 0.9, 9)
    images = np.arange(9 * 4 * 4, dtype=np.uint8).reshape(9, 4, 4, 1)
    ev = V.evaluate(y_true=y, y_pred=pred, y_score=score, class_names=["a", "b", "c"], images=images)
    pairs = ev.most_confused(k=2).pairs
    assert [(q["true"], q["pred"], q["count"]) for q in pairs] == [("c", "a", 3), ("a", "b", 2)]
    assert pairs[0]["rate"] == pytest.approx(0.75)
    mis = ev.mistakes(k=3)
    assert mis.indices == [7, 6, 5]  # most confident first
    assert mis.confidence == pytest.approx(list(np.linspace(0.5, 0.9, 9)[[7, 6, 5]]))
    np.testing.assert_array_equal(mis.images, images[[7, 6, 5]])


def test_evaluate_model_and_loader_matches_predictions() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3))
    x = torch.randn(50, 1, 4, 4)
    y = torch.randint(0, 3, (50,))
    loader = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 50, 16)]
    ev = V.evaluate(model, loader, class_names=["a", "b", "c"], keep_mistakes=5)
    probs = torch.softmax(model(x), 1).detach().numpy()
    np.testing.assert_allclose(ev.y_score, probs, rtol=1e-6)
    np.testing.assert_array_equal(ev.y_pred, probs.argmax(1))
    mis = ev.mistakes(k=5)
    wrong = np.flatnonzero(probs.argmax(1) != y.numpy())
    expected = wrong[np.argsort(-probs[wrong].max(1))][:5]
    assert mis.indices == expected.tolist() and mis.images.shape == (5, 4, 4, 1)
    dict_loader = [{"image": x, "label": y}]
    assert V.evaluate(model, dict_loader).accuracy == pytest.approx(ev.accuracy)


def test_binary_single_logit_model() -> None:
    model = torch.nn.Linear(2, 1)
    x = torch.randn(30, 2)
    y = (x[:, 0] > 0).long()
    ev = V.evaluate(model, [(x, y)])
    p1 = torch.sigmoid(model(x))[:, 0].detach().numpy()
    assert ev.y_score.shape == (30, 2)
    assert ev.roc_curves().area[0] == pytest.approx(metrics.roc_auc_score(y.numpy(), p1))


def test_bad_inputs_are_clear() -> None:
    with pytest.raises(ValueError, match="y_true"):
        V.evaluate(y_pred=[0, 1])
    with pytest.raises(ValueError, match="samples"):
        V.evaluate(y_true=[0, 1, 1], y_pred=[0, 1])
    with pytest.raises(ValueError, match="needs scores"):
        V.evaluate(y_true=[0, 1], y_pred=[0, 1]).roc_curves()


def test_records_round_trip_and_draw(tmp_path) -> None:
    y, p = _problem(3, seed=4)
    ev = V.evaluate(y_true=y, y_score=p, images=np.zeros((len(y), 5, 5, 1), np.uint8))
    recs = [ev.confusion_matrix(), ev.per_class(), ev.pr_curves(), ev.roc_curves(), ev.calibration(),
            ev.most_confused(), ev.mistakes(k=8)]
    kinds = {r.kind for r in recs}
    assert kinds == {"eval.confusion", "eval.per_class", "eval.curves", "eval.calibration", "eval.most_confused",
                     "eval.mistakes"}
    for r in recs:
        data, blobs = r.to_dict()
        back = rebuild(r.kind, data, blobs)
        assert type(back) is type(r)
        assert back.to_json() == r.to_json()
        assert r.save(tmp_path / f"{r.kind}.png").stat().st_size > 1000
        assert "<img" in r._repr_html_()
