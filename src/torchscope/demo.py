"""``torchscope demo``: the tour, on scikit-learn's handwritten digits, in one run.

No download, no GPU: the digits (1,797 8x8 images, shipped inside scikit-learn) train in seconds
on a laptop CPU. In order: the data (profile and a PCA projection), the model (summary and
graph), training with ``run.watch`` (losses, accuracy, learning rate, images, histograms,
per-layer statistics), the trained model at work (evaluation views and explanations), a DCGAN
trained with the GAN monitor and its lens views (interpolation, and a 3-to-8 counterfactual),
and a short GAN lab session; every dashboard panel has something to show.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from .track import Run, init

__all__ = ["DigitsCNN", "load_digits_tensors", "run_demo"]


class DigitsCNN(nn.Module):
    """A two-convolution network for 1x8x8 digits."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def load_digits_tensors(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Digits as (x_train, y_train, x_test, y_test): float images in [0, 1], 80/20 stratified split."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(digits.target, dtype=torch.long)
    gen = np.random.default_rng(seed)
    test_idx = np.concatenate([gen.permutation(np.flatnonzero(digits.target == c))[: int(round(0.2 * n))]
                               for c, n in enumerate(np.bincount(digits.target))])
    mask = np.ones(len(y), bool)
    mask[test_idx] = False
    return x[mask], y[mask], x[~mask], y[~mask]


def _evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float, torch.Tensor]:
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y).item()
        pred = logits.argmax(1)
    model.train()
    return loss, (pred == y).float().mean().item(), pred


def train(run: Run, *, epochs: int, seed: int = 0, batch_size: int = 64, lr: float = 3e-3,
          progress: bool = True) -> tuple[dict[str, Any], nn.Module]:
    """Train :class:`DigitsCNN` on digits with ``run.watch``, logging into ``run``; returns (metrics, model)."""
    from tqdm.auto import tqdm

    torch.manual_seed(seed)
    x_tr, y_tr, x_te, y_te = load_digits_tensors(seed)
    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = (len(x_tr) + batch_size - 1) // batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch)
    run.watch(model, every=10, optimizer=opt)
    run.log_image("data/samples", x_tr[:64], step=0, caption="the first 64 training digits")
    step = 0
    bar = tqdm(total=epochs * steps_per_epoch, desc="training DigitsCNN on digits", unit="batch",
               disable=not progress)
    val_acc = 0.0
    for epoch in range(epochs):
        perm = torch.randperm(len(x_tr))
        for i in range(0, len(x_tr), batch_size):
            idx = perm[i:i + batch_size]
            logits = model(x_tr[idx])
            loss = nn.functional.cross_entropy(logits, y_tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            acc = (logits.argmax(1) == y_tr[idx]).float().mean().item()
            run.log({"train/loss": loss.item(), "train/acc": acc, "train/lr": sched.get_last_lr()[0],
                     "epoch": float(epoch)}, step=step)
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", val_acc=f"{val_acc:.3f}")
        val_loss, val_acc, pred = _evaluate(model, x_te, y_te)
        run.log({"val/loss": val_loss, "val/acc": val_acc}, step=step)
        for name, param in model.named_parameters():
            run.log_histogram(f"weights/{name}", param, step=step)
            if param.grad is not None:
                run.log_histogram(f"grads/{name}", param.grad, step=step)
        wrong = (pred != y_te).nonzero().flatten()[:16]
        if len(wrong):
            run.log_image("val/mistakes", x_te[wrong], step=step,
                          caption="predicted: " + " ".join(str(int(p)) for p in pred[wrong]))
    bar.close()
    run.summary.update(val_acc=val_acc, val_loss=val_loss, epochs=epochs)
    run.log_text("notes", f"**DigitsCNN** trained {epochs} epochs on scikit-learn digits: "
                          f"validation accuracy **{val_acc:.3f}**.", step=step)
    run.unwatch(model)
    return {"val_acc": val_acc, "val_loss": val_loss, "steps": step}, model


def _tour_after_training(run: Run, model: nn.Module, seed: int, quick: bool, progress: bool) -> None:
    """Data, model, evaluation, explanation and GAN records for the run (each a dashboard panel)."""
    from tqdm.auto import tqdm

    from . import data as tsdata
    from .evaluate import evaluate
    from .explain import explain
    from .gan import Lab2D, counterfactual, feature_extractor, interpolate, train_dcgan

    stages = ["data profile", "projection", "model graph", "evaluation", "explanations", "DCGAN", "GAN lens",
              "GAN lab"]
    gan = None
    bar = tqdm(stages, desc="the tour", unit="stage", disable=not progress)
    ds = tsdata.load("digits")
    train_ds, test_ds = ds.split(0.8, seed=seed, stratify=True)
    for stage in bar:
        bar.set_postfix_str(stage)
        if stage == "data profile":
            run.log_record(tsdata.profile(train_ds, test_ds), key="data/profile")
        elif stage == "projection":
            run.log_record(tsdata.project(test_ds, method="pca", model=model, progress=False), key="data/projection")
        elif stage == "model graph":
            run.log_graph(model, torch.zeros(1, 1, 8, 8))
        elif stage == "evaluation":
            loader = torch.utils.data.DataLoader(test_ds, batch_size=256)
            ev = evaluate(model, loader, class_names=ds.class_names)
            views = {"confusion": ev.confusion_matrix(), "per_class": ev.per_class(), "pr": ev.pr_curves(),
                     "roc": ev.roc_curves(), "calibration": ev.calibration(), "most_confused": ev.most_confused(),
                     "mistakes": ev.mistakes(k=32)}
            for name, view in views.items():
                run.log_record(view, key=f"eval/{name}")
        elif stage == "explanations":
            x, _ = next(iter(torch.utils.data.DataLoader(test_ds, batch_size=8)))
            for method in ("saliency", "ig", "gradcam") if quick else ("saliency", "smoothgrad", "ig", "gradcam",
                                                                         "occlusion"):
                run.log_record(explain(model, x, method=method, class_names=ds.class_names),
                               key=f"explain/{method}")
        elif stage == "DCGAN":  # the monitor logs losses, D outputs, the fixed-noise timeline, metrics
            gan = train_dcgan(ds, epochs=2 if quick else 12, run=run, progress=progress, seed=seed,
                              metric_samples=500 if quick else 1000)
        elif stage == "GAN lens" and gan is not None:
            fx = feature_extractor(ds, seed=seed)
            run.log_record(interpolate(gan.generator, z_dim=gan.z_dim, classifier=fx, seed=seed),
                           key="gan/lens/interpolation")
            if not quick:
                run.log_record(counterfactual(gan.generator, fx, source=3, target=8, z_dim=gan.z_dim, seed=seed),
                               key="gan/lens/counterfactual")
        elif stage == "GAN lab":
            lab = Lab2D(target="ring", loss="nonsaturating", seed=seed)
            lab.step(100 if quick else 400)
            run.log_record(lab.frame(), key="gan/lab")
    bar.close()


def run_demo(dir: str | os.PathLike[str] | None = None, *, epochs: int | None = None, quick: bool = False,
             seed: int = 0, progress: bool = True) -> Run:
    """The whole tour; returns the finished run. ``ts.demo.run_demo(dir="tsruns", quick=True)``."""
    epochs = epochs if epochs is not None else (2 if quick else 8)
    if epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {epochs}")
    t0 = time.time()
    run = init(project="demo", name=f"digits-cnn-{time.strftime('%H%M%S')}", dir=dir, tags=["demo", "cnn"],
               config={"model": "DigitsCNN", "data": "sklearn digits", "epochs": epochs, "batch_size": 64,
                       "lr": 3e-3, "optimizer": "Adam", "seed": seed})
    with run:
        result, model = train(run, epochs=epochs, seed=seed, progress=progress)
        _tour_after_training(run, model, seed, quick, progress)
    print(f"run {run.id} ({run.name}) stored in {run.dir}: validation accuracy {result['val_acc']:.3f}, "
          f"{result['steps']} steps, whole tour in {time.time() - t0:.1f} s")
    print(f"read it with: ts.open({str(run.dir)!r}).scalars({run.id!r}, 'train/loss')")
    return run
