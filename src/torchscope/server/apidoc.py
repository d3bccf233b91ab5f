"""How a route describes itself for the OpenAPI schema: its parameters, body, answers and errors.

Each core module and each panel keeps, beside its routes, a doc per route path
(``{path: {"summary": ..., "params": {name: Param(...)}, ...}}``); :mod:`.openapi` walks the app's
real routes and joins each to its doc, so methods and path parameters always come from the
router, and a route without a doc (or a doc without a route) stops the schema from building. A
parameter given as a plain string is an optional string; a :class:`Param` says more. The keys of
a doc:

- ``summary``: one line; ``params``: the query parameters; ``path``: path parameter descriptions;
- ``media``: the 200 answer's content type (or a tuple of them; default ``application/json``);
- ``body``: ``{"media": ..., "schema": {...}}``, the request body (required when given);
- ``errors``: ``{status: why}`` beyond the common ones (400, 401, 403, 404; 413 and 415 for a body);
- ``stream``: True for a server-sent event stream (never ends: left out of fuzzing);
- ``by_method``: ``{"patch": {...}, "delete": {...}}``, per-method docs over the shared ones.

Example::

    API_DOC = {"/series": {"summary": "One key for many runs", "params": {"run": RUN, "key": KEY}}}
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["KEY", "RANK", "RUN", "STEP", "Param", "as_param"]

NO_NUL = "^[^\\x00]*$"


@dataclasses.dataclass(frozen=True)
class Param:
    """One query parameter: ``Param("most steps", type="integer", minimum=1, maximum=5000)``.

    ``required``: the route answers 400 without it; ``many``: it may repeat (``?run=a&run=b``);
    ``minimum``/``maximum``: the range an integer or number must lie in; ``enum``: the only values;
    ``max_length``: the longest string accepted; ``pattern``: a regular expression the string matches
    (default: anything without NUL, which no parameter may hold).
    """

    description: str
    _: dataclasses.KW_ONLY
    required: bool = False
    type: str = "string"
    many: bool = False
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[str, ...] | None = None
    max_length: int = 1000
    pattern: str | None = None

    def schema(self) -> dict[str, Any]:
        """The JSON schema of one value (an array of them when ``many``)."""
        one: dict[str, Any] = {"type": self.type}
        if self.enum is not None:
            one = {"type": "string", "enum": list(self.enum)}
        elif self.type == "string":
            one.update(maxLength=self.max_length, pattern=self.pattern or NO_NUL)
        if self.minimum is not None:
            one["minimum"] = self.minimum
        if self.maximum is not None:
            one["maximum"] = self.maximum
        if self.many:
            return {"type": "array", "items": one, "minItems": 1 if self.required else 0, "maxItems": 50}
        return one

    def to_openapi(self, name: str) -> dict[str, Any]:
        """The OpenAPI parameter object of ``?name=``."""
        out = {"name": name, "in": "query", "required": self.required, "description": self.description,
               "schema": self.schema()}
        if self.many:
            out.update(style="form", explode=True)
        return out


def as_param(value: str | Param) -> Param:
    """A doc's parameter entry as a Param: a plain string is an optional string's description."""
    return value if isinstance(value, Param) else Param(value)


RUN = Param("run id (repeat the parameter for several runs; runs=a,b also works)",
            required=True, many=True, max_length=200)
KEY = Param("the key", required=True)
STEP = Param("step (default: the latest)", type="integer", minimum=-(2 ** 62), maximum=2 ** 62)
RANK = Param("rank (default 0)", type="integer", minimum=0, maximum=100000)
