"""A Hugging Face ``transformers`` Trainer callback writing to a torchscope store.

Example::

    from torchscope.integrations.huggingface import TorchscopeCallback
    trainer = Trainer(model, args, train_dataset=ds, callbacks=[TorchscopeCallback(project="bert")])

At the start of training the run gets the ``TrainingArguments`` and the model's config as its
config (``args/...``, ``model/...``); every Trainer log (loss, learning rate, grad norm, eval
metrics) becomes scalars at ``state.global_step`` (``train/loss``, ``eval/loss``...);
``watch="all"`` also turns on ``run.watch(model)``. Only the main process logs.
"""

from __future__ import annotations

import numbers
from typing import Any

from transformers import TrainerCallback

from ..track.run import Run, init

__all__ = ["TorchscopeCallback"]


class TorchscopeCallback(TrainerCallback):  # type: ignore[misc]
    """``Trainer(..., callbacks=[TorchscopeCallback(project="bert", watch="gradients")])``."""

    def __init__(self, project: str = "huggingface", name: str | None = None, *, dir: Any = None,
                 tags: list[str] | None = None, watch: str | None = None, watch_every: int = 100) -> None:
        self.project, self.name, self.dir, self.tags = project, name, dir, tags
        self.watch, self.watch_every = watch, watch_every
        self.run: Run | None = None

    @staticmethod
    def _config(args: Any, model: Any) -> dict[str, Any]:
        cfg: dict[str, Any] = {}
        for k, v in (args.to_dict() if hasattr(args, "to_dict") else {}).items():
            cfg[f"args/{k}"] = v if isinstance(v, (str, int, float, bool)) or v is None else str(v)
        mcfg = getattr(model, "config", None)
        if mcfg is not None and hasattr(mcfg, "to_dict"):
            for k, v in mcfg.to_dict().items():
                if isinstance(v, (str, int, float, bool)) or v is None:
                    cfg[f"model/{k}"] = v
        return cfg

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or self.run is not None:
            return
        self.run = init(project=self.project, name=self.name or getattr(args, "run_name", None), dir=self.dir,
                        tags=self.tags, config=self._config(args, model))
        if self.watch and model is not None:
            self.run.watch(model, log=self.watch, every=self.watch_every)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if self.run is None or not logs:
            return
        out = {}
        for k, v in logs.items():
            if not isinstance(v, numbers.Number) or isinstance(v, bool):
                continue
            if k.startswith("eval_"):
                out[f"eval/{k[5:]}"] = v
            elif k.startswith("test_"):
                out[f"test/{k[5:]}"] = v
            else:
                out[f"train/{k}"] = v
        if out:
            self.run.log(out, step=state.global_step)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.run is not None:
            self.run.summary.update({"global_step": state.global_step})
            self.run.finish()
            self.run = None
