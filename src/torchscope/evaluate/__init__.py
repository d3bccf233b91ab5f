"""Evaluation views of a trained classifier: ``ts.evaluate(model, loader)`` or ``ts.evaluate(y_true=, y_pred=)``.

Example::

    ev = ts.evaluate(y_true=y, y_pred=p, y_score=probs)
    ev.per_class().save("metrics.png")
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from .._lazy import LazyPackage as _LazyPackage
from .._lazy import lazy_package as _lazy_package

if _TYPE_CHECKING:
    from .calibration import Calibration
    from .confusion import ConfusionMatrix
    from .curves import Curves
    from .evaluation import Evaluation, evaluate
    from .mistakes import Mistakes, MostConfused
    from .per_class import PerClass

__all__ = ["Calibration", "ConfusionMatrix", "Curves", "Evaluation", "Mistakes", "MostConfused", "PerClass",
           "evaluate"]


class _CallableModule(_LazyPackage):
    """Importing ``torchscope.evaluate`` binds the package over the lazy ``ts.evaluate`` function (Python
    sets a submodule as an attribute of its parent), so the package itself calls
    through: ``ts.evaluate(y_true=y, y_pred=p)``
    works whatever was imported first."""

    def __call__(self, *args: _Any, **kwargs: _Any) -> _Any:
        from .evaluation import evaluate

        return evaluate(*args, **kwargs)


# each name loads on first use: the records (torch-free) read back without the evaluation's torch
_lazy_package(__name__, {
    "Calibration": ".calibration", "ConfusionMatrix": ".confusion", "Curves": ".curves",
    "Evaluation": ".evaluation", "evaluate": ".evaluation", "Mistakes": ".mistakes", "MostConfused": ".mistakes",
    "PerClass": ".per_class",
}, cls=_CallableModule)
