"""Inside the network while it trains: ``run.watch(model)`` statistics and training-health alarms."""

from .alarms import Alarm, HealthMonitor
from .watcher import LOG_CHOICES, Watcher

__all__ = ["LOG_CHOICES", "Alarm", "HealthMonitor", "Watcher"]
