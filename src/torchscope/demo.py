"""``torchscope demo``: the tour, a story told in five runs on real handwritten digits.

No download, no GPU: the data is the MNIST test set shipped inside torchscope (10,000 28x28
digits; LeCun, Cortes & Burges, CC BY-SA 3.0), split 80/20 into training and validation;
``quick`` uses scikit-learn's 1,797 8x8 digits instead. Each experiment is its own run
(project ``demo``), so that the dashboard has something to compare:

1. ``<data>-cnn-lr0.003``: the data (profile, samples, class balance; a PCA projection of the
   trained network's features), the model (summary and graph, from ``run.watch(graph=True)``, as
   in every CNN run), training with ``run.watch``
   (losses, accuracy, learning rate, images, histograms, per-layer statistics), then the trained
   model at work (evaluation views and explanations);
2. ``<data>-cnn-lr0.0003``: the same network with a 10x smaller learning rate; both carry the tag
   ``lr-sweep``: overlay them or group them in Scalars, compare them in Config;
3. ``<data>-cnn-diverges``: plain SGD with a learning rate about 200x too high: the first steps
   blow the weights up, the ReLUs die and the loss never comes back down; ``run.watch``'s Health
   alarms (watching every step here) say at which step and in which layer it went wrong;
4. ``<data>-dcgan``: a DCGAN (Radford et al. 2016) trained under the GAN monitor, with its lens
   views (a latent interpolation, a 3-to-8 counterfactual);
5. ``gan-lab``: a short session of the 2-D GAN lab (a ring of Gaussians).

Everything runs on one intra-op thread: these networks are small, and splitting their products
across threads costs more than it gains, far more on a machine that other processes keep busy.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .store.location import redact
from .track import Run, init

__all__ = ["Tour", "TourCNN", "run_demo"]

MAX_SAMPLES = 20_000  # the tour trains on at most this many images of a user's data set
LR, SLOW_LR = 3e-3, 3e-4  # the lr-sweep's two Adam learning rates
DIVERGE_LR = 10.0  # plain SGD: about 200x what this network takes (0.05 trains it): its first steps blow it up


class TourCNN(nn.Module):
    """Two convolutions and a small classifier, for images of any size and channel count."""

    def __init__(self, in_channels: int = 1, classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
            nn.AdaptiveMaxPool2d(4),  # 28x28 digits: 14x14 -> 4x4; 8x8 ones: 4x4 already
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@dataclasses.dataclass
class Tour:
    """The runs :func:`run_demo` wrote, by role: ``tour.cnn.id``, ``[r.name for r in tour.runs]``."""

    cnn: Run  # the lr-sweep's first run: data, model, training, evaluation and explanations
    cnn_slow: Run  # the same network with a 10x smaller learning rate
    diverged: Run  # the run whose loss explodes, caught by the Health alarms
    gan: Run  # the DCGAN under the GAN monitor, and its lens views
    lab: Run  # the GAN lab session
    transformer: Run  # two tiny transformers whose attention finds the known answer
    volumes: Run  # a 3-D segmentation net on a real head MRI: truth vs prediction, Dice, Grad-CAM
    seconds: float = 0.0

    @property
    def runs(self) -> list[Run]:
        """Every run of the tour, in the order they were written."""
        return [self.cnn, self.cnn_slow, self.diverged, self.gan, self.lab, self.transformer, self.volumes]

    @property
    def dir(self) -> Path | None:
        """The store directory the runs went to (None for a URL store)."""
        return self.cnn.dir

    @property
    def location(self) -> Any:
        """Where the runs went: the directory or the store's URL."""
        return self.cnn.location


def _tensors(ds: Any, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """At most MAX_SAMPLES images of a torchscope data set as (N x C x H x W float in [0, 1], labels)."""
    x, y = ds.arrays(MAX_SAMPLES, seed=seed, progress=False)
    x = torch.as_tensor(np.asarray(x, np.float32))
    if x.max() > 1.0:
        x = x / 255.0
    return x.permute(0, 3, 1, 2).contiguous(), torch.as_tensor(np.asarray(y), dtype=torch.long)


def load_tour_data(data: Any = None, seed: int = 0, *, quick: bool = False) -> tuple[Any, Any, Any]:
    """The tour's data set and its stratified 80/20 split: the embedded MNIST (scikit-learn's digits
    with ``quick``), or ``data`` (any path ``ts.data.load`` takes: IDX files, an image folder, an archive)."""
    from .data import load

    ds = load(("digits" if quick else "mnist") if data is None else data)
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


def train(run: Run, train_ds: Any, test_ds: Any, *, epochs: int, seed: int = 0, batch_size: int = 64, lr: float = LR,
          optimizer: str = "adam", watch_every: int = 10, progress: bool = True) -> tuple[dict[str, Any], nn.Module]:
    """Train :class:`TourCNN` with ``run.watch``, logging into ``run``; returns (metrics, model).

    ``optimizer``: ``"adam"`` (with a one-cycle schedule up to ``lr``) or ``"sgd"`` (plain, ``lr``
    constant). Training stops 20 steps after the loss stops being a finite number.
    """
    from torchscope._progress import tqdm

    torch.manual_seed(seed)
    x_tr, y_tr = _tensors(train_ds, seed)
    x_te, y_te = _tensors(test_ds, seed)
    model = TourCNN(x_tr.shape[1], len(train_ds.class_names))
    steps_per_epoch = (len(x_tr) + batch_size - 1) // batch_size
    sched: Any = None
    if optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    run.watch(model, every=watch_every, optimizer=opt, graph=True)  # the graph: for Graph, and coloured in Health
    run.log_image("data/samples", x_tr[:64], step=0, caption=f"the first 64 training images of {train_ds.name}")
    step, diverged_at, val_acc, val_loss = 0, None, 0.0, math.nan
    bar = tqdm(total=epochs * steps_per_epoch, desc=f"{run.name}: training", unit="batch", disable=not progress)
    for epoch in range(epochs):
        perm = torch.randperm(len(x_tr))
        for i in range(0, len(x_tr), batch_size):
            idx = perm[i:i + batch_size]
            logits = model(x_tr[idx])
            loss = nn.functional.cross_entropy(logits, y_tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            acc = (logits.argmax(1) == y_tr[idx]).float().mean().item()
            run.log({"train/loss": loss.item(), "train/acc": acc, "train/lr": opt.param_groups[0]["lr"],
                     "epoch": float(epoch)}, step=step)
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", val_acc=f"{val_acc:.3f}")
            if diverged_at is None and not math.isfinite(loss.item()):
                diverged_at = step - 1
            if diverged_at is not None and step - diverged_at > 20:
                break
        val_loss, val_acc, pred = _evaluate(model, x_te, y_te)
        run.log({"val/loss": val_loss, "val/acc": val_acc}, step=step)
        for name, param in model.named_parameters():
            run.log_histogram(f"weights/{name}", param, step=step)
            if param.grad is not None:
                run.log_histogram(f"grads/{name}", param.grad, step=step)
        wrong = (pred != y_te).nonzero().flatten()[:16]
        if len(wrong) and diverged_at is None:
            run.log_image("val/mistakes", x_te[wrong], step=step,
                          caption="predicted: " + " ".join(str(int(p)) for p in pred[wrong]))
        if diverged_at is not None:
            break
    bar.close()
    run.unwatch(model)
    result = {"val_acc": val_acc, "val_loss": val_loss, "steps": step, "diverged_at": diverged_at}
    run.summary.update({k: v for k, v in result.items() if isinstance(v, int) or (v is not None and math.isfinite(v))})
    return result, model


def _note(run: Run, text: str, step: int) -> None:
    run.log_text("notes", text, step=step)


def _diverged_note(run: Run, result: dict[str, Any]) -> str:
    """What the diverging run's Health alarms caught, first ones first (read back from the store)."""
    from .store import open_store

    run.flush()
    store = open_store(run.location)
    try:
        alarms = [e.data for e in store.records(run.id, kind="health.alarm")]
    finally:
        store.close()
    seen: dict[str, dict[str, Any]] = {}
    for a in sorted(alarms, key=lambda a: a["step"]):
        seen.setdefault(a["type"], a)
    caught = "; ".join(f"`{t}` at step {a['step']}" + (f" (`{a['layer']}`)" if a.get("layer") else "")
                       for t, a in list(seen.items())[:4])
    return (f"**{run.name}**: the same network with plain SGD at lr {DIVERGE_LR:g}, about 200x too high. "
            f"Its first steps blow the weights up, the ReLUs die and the loss never comes back down: validation "
            f"accuracy **{result['val_acc']:.3f}**, chance level. " +
            (f"Health's alarms caught it: {caught}." if caught else "Health raised no alarm this time."))


def _data(run: Run, model: nn.Module, data: tuple[Any, Any, Any]) -> None:
    """The data stage: a profile of the split, and a projection of the trained network's features."""
    from . import data as tsdata

    _, train_ds, test_ds = data
    run.log_record(tsdata.profile(train_ds, test_ds), key="data/profile")
    run.log_record(tsdata.project(test_ds, method="pca", model=model, progress=False), key="data/projection")


def _at_work(run: Run, model: nn.Module, data: tuple[Any, Any, Any], quick: bool) -> None:
    """The trained model at work: evaluation views and explanations."""
    from .evaluate import evaluate
    from .explain import explain, feature_maps, filters, topk

    ds, _, test_ds = data
    ev = evaluate(model, torch.utils.data.DataLoader(test_ds, batch_size=256), class_names=ds.class_names)
    views = {"confusion": ev.confusion_matrix(), "per_class": ev.per_class(), "pr": ev.pr_curves(),
             "roc": ev.roc_curves(), "calibration": ev.calibration(), "most_confused": ev.most_confused(),
             "mistakes": ev.mistakes(k=32)}
    for name, view in views.items():
        run.log_record(view, key=f"eval/{name}")
    x, y = next(iter(torch.utils.data.DataLoader(test_ds, batch_size=8)))
    methods = ("saliency", "ig", "gradcam") if quick else ("saliency", "smoothgrad", "ig", "gradcam", "occlusion")
    for method in methods:
        run.log_record(explain(model, x, method=method, class_names=ds.class_names), key=f"explain/{method}")
    run.log_record(topk(model, x, k=3, class_names=ds.class_names, labels=y), key="explain/topk")
    run.log_record(feature_maps(model, x[0]), key="explain/feature_maps")
    run.log_record(filters(model), key="explain/filters")


def _dcgan(run: Run, ds: Any, seed: int, quick: bool, progress: bool) -> None:
    """A DCGAN under the GAN monitor (losses, D outputs, the fixed-noise timeline, FD/KID metrics),
    then its lens views."""
    from .gan import counterfactual, feature_extractor, interpolate, train_dcgan

    cap = 2_000 if quick else MAX_SAMPLES
    gan_ds = ds if len(ds) <= cap else ds.subset(ds.sample_indices(cap, seed=seed))
    epochs = 2 if quick else max(1, min(12, 50_000 // len(gan_ds)))  # about 50,000 images seen in all
    h = ds.sample_shape[0]
    gan = train_dcgan(gan_ds, epochs=epochs, run=run, progress=progress, seed=seed, width=32 if h > 16 else None,
                      metric_samples=500 if quick else 1000)
    fx = feature_extractor(ds, seed=seed)
    run.log_record(interpolate(gan.generator, z_dim=gan.z_dim, classifier=fx, seed=seed),
                   key="gan/lens/interpolation")
    if not quick and len(ds.class_names) > 1:
        src, dst = (3, 8) if len(ds.class_names) > 8 else (0, 1)
        run.log_record(counterfactual(gan.generator, fx, source=src, target=dst, z_dim=gan.z_dim, seed=seed),
                       key="gan/lens/counterfactual")


def _lab(run: Run, seed: int, quick: bool) -> None:
    from .gan import Lab2D

    lab = Lab2D(target="ring", loss="nonsaturating", seed=seed)
    lab.step(100 if quick else 400)
    run.log_record(lab.frame(), key="gan/lab")


def _volumes(run: Run, seed: int, quick: bool) -> None:
    from .volume.tour import tour_stage

    dice = tour_stage(run, seed=seed, quick=quick)
    run.summary.update({f"val/{k}": v for k, v in dice.items()})
    _note(run, f"**{run.name}**: a three-layer 3-D conv net learns to find synthetic lesions (bright spheres) and "
               f"cysts (dark cubes) placed in a real T1 head MRI (nibabel's `anatomical.nii`). Held-out Dice: "
               f"lesion **{dice['dice_lesion']:.2f}**, cyst **{dice['dice_cyst']:.2f}**. Open *Volumes*: truth "
               f"beside prediction in three linked planes, and a Grad-CAM of the lesion score.", 0)


def run_demo(dir: str | os.PathLike[str] | None = None, *, data: Any = None, epochs: int | None = None,
             quick: bool = False, seed: int = 0, progress: bool = True) -> Tour:
    """The whole tour; returns its finished runs. ``ts.demo.run_demo(dir="tsruns", quick=True).cnn.id``.

    ``data``: your own image data set (anything ``ts.data.load`` takes) instead of the embedded MNIST.
    """
    from .gan._util import threads

    epochs = epochs if epochs is not None else (2 if quick else 3)
    if epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {epochs}")
    t0 = time.time()
    tour_data = load_tour_data(data, seed, quick=quick)
    name = tour_data[0].name
    described = str(data) if data is not None else ("sklearn digits" if quick else "MNIST test set (embedded)")
    common = {"model": "TourCNN", "data": described, "epochs": epochs, "batch_size": 64, "seed": seed}

    def start(run_name: str, tags: list[str], config: dict[str, Any], system: float | bool = False) -> Run:
        return init(project="demo", name=run_name, dir=dir, tags=["demo", *tags], config=config, system=system)

    with threads(1):
        runs: dict[str, Run] = {}
        for role, lr in (("cnn", LR), ("cnn_slow", SLOW_LR)):
            runs[role] = run = start(f"{name}-cnn-lr{lr:g}", ["cnn", "lr-sweep"],
                                     {**common, "lr": lr, "optimizer": "Adam", "schedule": "one-cycle"},
                                     system=2.0 if role == "cnn" else False)
            with run:
                result, model = train(run, tour_data[1], tour_data[2], epochs=epochs, seed=seed, lr=lr,
                                      progress=progress)
                _note(run, f"**{run.name}**: TourCNN, Adam up to lr {lr:g} (one cycle), {epochs} epochs on "
                           f"{tour_data[1].name}: validation accuracy **{result['val_acc']:.3f}**. Compare it with "
                           f"the other `lr-sweep` run in Scalars (group by tags) and Config.", result["steps"])
                if role == "cnn":
                    _data(run, model, tour_data)
                    _at_work(run, model, tour_data, quick)
        runs["diverged"] = run = start(f"{name}-cnn-diverges", ["cnn", "diverges"],
                                       {**common, "epochs": 1, "lr": DIVERGE_LR, "optimizer": "SGD",
                                        "schedule": "constant"})
        with run:
            result, _ = train(run, tour_data[1], tour_data[2], epochs=1, seed=seed, lr=DIVERGE_LR, optimizer="sgd",
                              watch_every=1, progress=progress)
            _note(run, _diverged_note(run, result), result["steps"])
        runs["gan"] = run = start(f"{name}-dcgan", ["gan"], {"model": "DCGAN", "data": described, "seed": seed})
        with run:
            _dcgan(run, tour_data[0], seed, quick, progress)
        runs["lab"] = run = start("gan-lab-ring", ["gan", "gan-lab"], {"target": "ring", "loss": "nonsaturating",
                                                                       "seed": seed})
        with run:
            _lab(run, seed, quick)
        runs["transformer"] = run = start("tiny-transformers", ["transformer", "attention"],
                                          {"model": "TinyTransformer", "seed": seed})
        with run:
            from .attention.tour import tour_stage

            tour_stage(run, seed=seed, quick=quick)
        runs["volumes"] = run = start("mri-3d-segmentation", ["volumes", "3d"],
                                      {"model": "SegNet3D", "data": "nibabel anatomical.nii + synthetic findings",
                                       "seed": seed})
        with run:
            _volumes(run, seed, quick)
    tour = Tour(**runs, seconds=time.time() - t0)
    where = str(tour.dir) if tour.dir is not None else redact(str(tour.location))  # a team store: no password
    for r in tour.runs:
        print(f"run {r.id} {r.name}" + (f": validation accuracy {r.summary['val_acc']:.3f}"
                                        if "val_acc" in r.summary else ""))
    print(f"{len(tour.runs)} runs stored in {where}; whole tour in {tour.seconds:.1f} s")
    print(f"read them with: ts.open({where!r}).scalars({tour.cnn.id!r}, 'train/loss')")
    return tour
