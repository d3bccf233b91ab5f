"""Run context: the console output of the training process and the state of its code.

- :class:`~torchscope.context.console.ConsoleCapture` tees ``sys.stdout``/``sys.stderr`` into the run's
  ``console/stdout`` and ``console/stderr`` text series (``ts.init(console=True)``);
- :func:`~torchscope.context.code.capture` takes the ``run.code`` record (git commit, branch, remote, the
  uncommitted diff, the command line, Python and package versions; ``ts.init(code=True)``).

The Console panel shows both. Example: ``run = ts.init(project="mnist", console=True, code=True)``.
"""

from .code import CodeSnapshot, capture
from .console import ConsoleCapture, terminal_lines

__all__ = ["CodeSnapshot", "ConsoleCapture", "capture", "terminal_lines"]
