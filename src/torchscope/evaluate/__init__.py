"""Evaluation views of a trained classifier: ``ts.evaluate(model, loader)`` or ``ts.evaluate(y_true=, y_pred=)``.

Example::

    ev = ts.evaluate(y_true=y, y_pred=p, y_score=probs)
    ev.per_class().save("metrics.png")
"""

import sys as _sys
import types as _types
from typing import Any as _Any

from .calibration import Calibration
from .confusion import ConfusionMatrix
from .curves import Curves
from .evaluation import Evaluation, evaluate
from .mistakes import Mistakes, MostConfused
from .per_class import PerClass

__all__ = ["Calibration", "ConfusionMatrix", "Curves", "Evaluation", "Mistakes", "MostConfused", "PerClass",
           "evaluate"]


class _CallableModule(_types.ModuleType):
    """Importing ``torchscope.evaluate`` binds the package over the lazy ``ts.evaluate`` function (Python
    sets a submodule as an attribute of its parent), so the package itself calls
    through: ``ts.evaluate(y_true=y, y_pred=p)``
    works whatever was imported first."""

    def __call__(self, *args: _Any, **kwargs: _Any) -> _Any:
        return evaluate(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
