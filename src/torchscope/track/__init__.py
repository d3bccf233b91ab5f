"""The tracker: ``ts.init`` returns a :class:`Run` that logs without blocking the training loop."""

from .run import Run, init

__all__ = ["Run", "init"]
