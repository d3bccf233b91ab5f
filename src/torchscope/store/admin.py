"""Changing runs: the small interface the dashboard's run-management routes use, apart from reading.

Reading goes through :class:`~torchscope.store.provider.Provider`, which never changes anything.
Renaming, tagging, annotating, archiving and deleting runs is this separate, narrow protocol, used
only by the routes that change runs (``PATCH``/``DELETE /api/runs/{id}``), so a read-only backend
simply has no ``RunAdmin``. The SQLite ``Store`` and ``MultiStore`` implement both.

Example::

    admin: RunAdmin = ts.open("tsruns")
    admin.update_run(run_id, name="best", tags=["keep"])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .types import RunInfo

__all__ = ["RunAdmin"]


@runtime_checkable
class RunAdmin(Protocol):
    """Change runs: rename, retag, annotate, archive, delete (``NotFound`` for an unknown run)."""

    def update_run(self, run_id: str, *, name: str | None = None, tags: list[str] | None = None,
                   notes: str | None = None, archived: bool | None = None) -> RunInfo:
        """Change what is given; returns the run as it is now."""
        ...

    def delete_run(self, run_id: str) -> None:
        """Delete a run and everything logged in it."""
        ...
