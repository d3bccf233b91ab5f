"""Evaluation views of a trained classifier: ``ts.evaluate(model, loader)`` or ``ts.evaluate(y_true=, y_pred=)``.

Example::

    ev = ts.evaluate(y_true=y, y_pred=p, y_score=probs)
    ev.per_class().save("metrics.png")
"""

from .calibration import Calibration
from .confusion import ConfusionMatrix
from .curves import Curves
from .evaluation import Evaluation, evaluate
from .mistakes import Mistakes, MostConfused
from .per_class import PerClass

__all__ = ["Calibration", "ConfusionMatrix", "Curves", "Evaluation", "Mistakes", "MostConfused", "PerClass",
           "evaluate"]
