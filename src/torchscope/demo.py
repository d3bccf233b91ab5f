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

from .store.location import redact
from .track import Run, init

__all__ = ["TourCNN", "run_demo"]

MAX_SAMPLES = 20_000  # the tour trains on at most this many images of a user's data set


class TourCNN(nn.Module):
    """Two convolutions and a small classifier, for images of any size and channel count."""

    def __init__(self, in_channels: int = 1, classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
            nn.AdaptiveMaxPool2d(4),  # 8x8 digits: exactly a 2x2 max pool
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def _tensors(ds: Any, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """At most MAX_SAMPLES images of a torchscope data set as (N x C x H x W float in [0, 1], labels)."""
    x, y = ds.arrays(MAX_SAMPLES, seed=seed, progress=False)
    x = torch.as_tensor(np.asarray(x, np.float32))
    if x.max() > 1.0:
        x = x / 255.0
    return x.permute(0, 3, 1, 2).contiguous(), torch.as_tensor(np.asarray(y), dtype=torch.long)


def load_tour_data(data: Any = None, seed: int = 0) -> tuple[Any, Any, Any]:
    """The tour's data set and its stratified 80/20 split: the embedded digits, or ``data`` (any
    path ``ts.data.load`` takes: MNIST IDX files, an image folder, an archive)."""
    from .data import load

    ds = load("digits" if data is None else data)
    if ds.task != "image":
        raise ValueError(f"the tour needs an image data set; {getattr(ds, 'name', data)!r} is {ds.task}")
    train_ds, test_ds = ds.split(0.8, seed=seed, stratify=True)
    return ds, train_ds, test_ds


def _evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float, torch.Tensor]:
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y).item()
        pred = logits.argmax(1)
    model.train()
    return loss, (pred == y).float().mean().item(), pred


def train(run: Run, train_ds: Any, test_ds: Any, *, epochs: int, seed: int = 0, batch_size: int = 64,
          lr: float = 3e-3, progress: bool = True) -> tuple[dict[str, Any], nn.Module]:
    """Train :class:`TourCNN` with ``run.watch``, logging into ``run``; returns (metrics, model)."""
    from torchscope._progress import tqdm

    torch.manual_seed(seed)
    x_tr, y_tr = _tensors(train_ds, seed)
    x_te, y_te = _tensors(test_ds, seed)
    model = TourCNN(x_tr.shape[1], len(train_ds.class_names))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = (len(x_tr) + batch_size - 1) // batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch)
    run.watch(model, every=10, optimizer=opt)
    run.log_image("data/samples", x_tr[:64], step=0, caption="the first 64 training digits")
    step = 0
    bar = tqdm(total=epochs * steps_per_epoch, desc=f"training TourCNN on {train_ds.name}", unit="batch",
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
    run.log_text("notes", f"**TourCNN** trained {epochs} epochs on {train_ds.name}: "
                          f"validation accuracy **{val_acc:.3f}**.", step=step)
    run.unwatch(model)
    return {"val_acc": val_acc, "val_loss": val_loss, "steps": step}, model


def _tour_after_training(run: Run, model: nn.Module, data: tuple[Any, Any, Any], seed: int, quick: bool,
                         progress: bool) -> None:
    """Data, model, evaluation, explanation and GAN records for the run (each a dashboard panel)."""
    from torchscope._progress import tqdm

    from . import data as tsdata
    from .evaluate import evaluate
    from .explain import explain, feature_maps, filters, topk
    from .gan import Lab2D, counterfactual, feature_extractor, interpolate, train_dcgan

    stages = ["data profile", "projection", "model graph", "evaluation", "explanations", "DCGAN", "GAN lens",
              "GAN lab"]
    gan = None
    bar = tqdm(stages, desc="the tour", unit="stage", disable=not progress)
    ds, train_ds, test_ds = data
    h, w, c = ds.sample_shape
    for stage in bar:
        bar.set_postfix_str(stage)
        if stage == "data profile":
            run.log_record(tsdata.profile(train_ds, test_ds), key="data/profile")
        elif stage == "projection":
            run.log_record(tsdata.project(test_ds, method="pca", model=model, progress=False), key="data/projection")
        elif stage == "model graph":
            run.log_graph(model, torch.zeros(1, c, h, w))
        elif stage == "evaluation":
            loader = torch.utils.data.DataLoader(test_ds, batch_size=256)
            ev = evaluate(model, loader, class_names=ds.class_names)
            views = {"confusion": ev.confusion_matrix(), "per_class": ev.per_class(), "pr": ev.pr_curves(),
                     "roc": ev.roc_curves(), "calibration": ev.calibration(), "most_confused": ev.most_confused(),
                     "mistakes": ev.mistakes(k=32)}
            for name, view in views.items():
                run.log_record(view, key=f"eval/{name}")
        elif stage == "explanations":
            x, y = next(iter(torch.utils.data.DataLoader(test_ds, batch_size=8)))
            for method in ("saliency", "ig", "gradcam") if quick else ("saliency", "smoothgrad", "ig", "gradcam",
                                                                         "occlusion"):
                run.log_record(explain(model, x, method=method, class_names=ds.class_names),
                               key=f"explain/{method}")
            run.log_record(topk(model, x, k=3, class_names=ds.class_names, labels=y), key="explain/topk")
            run.log_record(feature_maps(model, x[0]), key="explain/feature_maps")
            run.log_record(filters(model), key="explain/filters")
        elif stage == "DCGAN":  # the monitor logs losses, D outputs, the fixed-noise timeline, metrics
            cap = 2_000 if quick else MAX_SAMPLES
            gan_ds = ds if len(ds) <= cap else ds.subset(ds.sample_indices(cap, seed=seed))
            epochs = max(1, min(12, 20_000 // len(gan_ds)))  # about 20,000 images seen in all
            gan = train_dcgan(gan_ds, epochs=2 if quick else epochs, run=run, progress=progress, seed=seed,
                              metric_samples=500 if quick else 1000)
        elif stage == "GAN lens" and gan is not None:
            fx = feature_extractor(ds, seed=seed)
            run.log_record(interpolate(gan.generator, z_dim=gan.z_dim, classifier=fx, seed=seed),
                           key="gan/lens/interpolation")
            if not quick and len(ds.class_names) > 1:
                src, dst = (3, 8) if len(ds.class_names) > 8 else (0, 1)
                run.log_record(counterfactual(gan.generator, fx, source=src, target=dst, z_dim=gan.z_dim, seed=seed),
                               key="gan/lens/counterfactual")
        elif stage == "GAN lab":
            lab = Lab2D(target="ring", loss="nonsaturating", seed=seed)
            lab.step(100 if quick else 400)
            run.log_record(lab.frame(), key="gan/lab")
    bar.close()


def run_demo(dir: str | os.PathLike[str] | None = None, *, data: Any = None, epochs: int | None = None,
             quick: bool = False, seed: int = 0, progress: bool = True) -> Run:
    """The whole tour; returns the finished run. ``ts.demo.run_demo(dir="tsruns", quick=True)``.

    ``data``: your own image data set (anything ``ts.data.load`` takes) instead of the digits.
    """
    epochs = epochs if epochs is not None else (2 if quick else 8)
    if epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {epochs}")
    t0 = time.time()
    tour_data = load_tour_data(data, seed)
    name = "digits" if data is None else tour_data[0].name
    run = init(project="demo", name=f"{name}-cnn-{time.strftime('%H%M%S')}", dir=dir, tags=["demo", "cnn"],
               config={"model": "TourCNN", "data": "sklearn digits" if data is None else str(data), "epochs": epochs,
                       "batch_size": 64, "lr": 3e-3, "optimizer": "Adam", "seed": seed}, system=2.0)
    with run:
        result, model = train(run, tour_data[1], tour_data[2], epochs=epochs, seed=seed, progress=progress)
        _tour_after_training(run, model, tour_data, seed, quick, progress)
    where = str(run.dir) if run.dir is not None else redact(str(run.location))  # a team store: no password shown
    print(f"run {run.id} ({run.name}) stored in {where}: validation accuracy {result['val_acc']:.3f}, "
          f"{result['steps']} steps, whole tour in {time.time() - t0:.1f} s")
    print(f"read it with: ts.open({where!r}).scalars({run.id!r}, 'train/loss')")
    return run
