"""Inside the network while it trains: ``run.watch(model)`` statistics and training-health alarms.

Each name loads on first use (``torchscope._lazy``): reading a run's ``health.alarm`` records back
(``ts.open``, ``torchscope serve``, ``torchscope report``) imports ``alarms`` only, never torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_package

if TYPE_CHECKING:
    from .alarms import Alarm, HealthMonitor
    from .watcher import LOG_CHOICES, Watcher

__all__ = ["LOG_CHOICES", "Alarm", "HealthMonitor", "Watcher"]

lazy_package(__name__, {"Alarm": ".alarms", "HealthMonitor": ".alarms", "LOG_CHOICES": ".watcher",
                        "Watcher": ".watcher"})
