"""Dashboard panels: one sub-package per panel (routes in ``__init__.py``, ``panel.js``, ``README.md``)."""
