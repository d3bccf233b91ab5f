"""A PyTorch Lightning logger writing to a torchscope store.

Example::

    from torchscope.integrations.lightning import TorchscopeLogger
    logger = TorchscopeLogger(project="mnist", watch="all")      # watch: per-layer statistics too
    trainer = lightning.Trainer(logger=logger)

Metrics go to ``run.log``, hyper-parameters (``self.save_hyperparameters()``) to the run's
config, ``watch=`` turns on ``run.watch`` for the LightningModule when training starts (via the
logger's ``log_graph`` hook or :meth:`TorchscopeLogger.watch`), and the run is finished, or marked
crashed, when Lightning finalizes. Works with ``lightning`` or the older ``pytorch_lightning``.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

try:
    from lightning.pytorch.loggers.logger import Logger, rank_zero_experiment
    from lightning.pytorch.utilities import rank_zero_only
except ImportError:  # pragma: no cover - the older package name
    from pytorch_lightning.loggers.logger import Logger, rank_zero_experiment  # type: ignore[assignment]
    from pytorch_lightning.utilities import rank_zero_only  # type: ignore[no-redef]

from ..track.run import Run, init

__all__ = ["TorchscopeLogger"]


def _flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in params.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "/"))
        elif isinstance(v, argparse.Namespace):
            out.update(_flatten(vars(v), key + "/"))
        elif isinstance(v, (str, int, float, bool)) or v is None:
            out[key] = v
        else:
            out[key] = str(v)
    return out


class TorchscopeLogger(Logger):
    """Lightning logger: ``Trainer(logger=TorchscopeLogger(project="mnist"))``."""

    def __init__(self, project: str = "lightning", name: str | None = None, *, dir: Any = None,
                 tags: list[str] | None = None, watch: str | None = None, watch_every: int = 100) -> None:
        super().__init__()
        self._project, self._name, self._dir, self._tags = project, name, dir, tags
        self._watch, self._watch_every = watch, watch_every
        self._run: Run | None = None

    @property
    def name(self) -> str:
        return self._name or self._project

    @property
    def version(self) -> str:
        return self.experiment.id if self._run is not None else "pending"

    @property
    def save_dir(self) -> str | None:
        return None if self._run is None else str(self._run.dir)

    @property
    @rank_zero_experiment
    def experiment(self) -> Run:
        """The torchscope run (created on first use)."""
        if self._run is None:
            self._run = init(project=self._project, name=self._name, dir=self._dir, tags=self._tags)
        return self._run

    @rank_zero_only
    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(params, argparse.Namespace):
            params = vars(params)
        self.experiment.update_config(_flatten(dict(params)))

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        self.experiment.log(dict(metrics), step=step)

    @rank_zero_only
    def log_graph(self, model: Any, input_array: Any = None) -> None:
        if self._watch:
            self.watch(model)

    @rank_zero_only
    def watch(self, model: Any, *, log: str | None = None, every: int | None = None) -> None:
        """Turn on ``run.watch`` for ``model`` (per-layer statistics and health alarms)."""
        if not any(w.model is model for w in self.experiment._watchers):
            self.experiment.watch(model, log=log or self._watch or "all", every=every or self._watch_every)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        if self._run is not None:
            self._run.flush()
            if status in ("failed", "interrupted"):
                self._run.finish("crashed", error=f"Lightning training {status}")
            else:
                self._run.finish()
