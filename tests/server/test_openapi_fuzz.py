"""Schemathesis over the served OpenAPI schema: no 5xx, and every answer is one the schema documents.

The app runs in process (ASGI) over a small real store; generated requests use the store's real run
ids and keys half of the time, so handlers see real data as well as junk. Checks: no server error,
documented status codes, content types and headers, schema-conforming answers, and schema-valid
requests accepted (not refused with 400/405/415). Event streams never end and are left out (their
own tests read them). Bounded: a few examples per operation (``TS_FUZZ_EXAMPLES`` to raise it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import torchscope as ts

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from torchscope.server import create_app  # noqa: E402

EXAMPLES = int(os.environ.get("TS_FUZZ_EXAMPLES", "15"))
KEYS = ["train/loss", "train/损失", "val/точность", "samples", "weights", "notes"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, positive_data_acceptance]


def _store(dir: Path) -> list[str]:
    rng = np.random.default_rng(0)
    ids = []
    for name in ("alpha", "beta"):
        with ts.init(project="fuzz", name=name, dir=dir, config={"lr": 0.1}) as run:
            for s in range(40):
                run.log({"train/loss": 1 / (s + 1), "train/损失": float("nan") if s == 3 else s,
                         "val/точность": s / 40}, step=s)
            run.log_image("samples", (rng.random((8, 8, 3)) * 255).astype(np.uint8), step=0)
            run.log_histogram("weights", rng.standard_normal(100), step=0, bins=8)
            run.log_text("notes", "hello", step=1)
        ids.append(run.id)
    return ids


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    dir = tmp_path_factory.mktemp("fuzz") / "tsruns"
    ids = _store(dir)
    app = create_app(dir, warm=False, allow_hosts=["testserver"])  # the in-process client's Host
    app.state.fuzz_ids = ids
    yield app
    hub = getattr(app.state, "ganlab", None)
    if hub is not None:
        hub.close_all()


@pytest.fixture(scope="module")
def api_schema(fuzz_app: Any) -> Any:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", fuzz_app)
    streams = [p for p, ops in fuzz_app.state.openapi["paths"].items() if any(o.get("x-stream") for o in ops.values())]
    assert set(streams) == {"/api/events", "/api/ganlab/stream"}
    ids = fuzz_app.state.fuzz_ids

    @schema.hook
    def flatmap_query(context: Any, query: dict[str, Any] | None) -> Any:
        if not query:
            return st.just(query)
        real = dict(query)
        if "run" in real:
            real["run"] = [ids[0]] if isinstance(real["run"], list) else ids[0]
        if "key" in real:
            return st.sampled_from(KEYS).map(lambda k: {**real, "key": k}) | st.just(query)
        return st.sampled_from([query, real])

    return schema.exclude(path_regex="^/api/(events|ganlab/stream)$")


def test_every_operation_answers_as_documented(api_schema: Any) -> None:
    failures, ran = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def check(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        try:
            check()
        except Exception as exc:  # every operation's failure is reported, not only the first
            failures.append(f"{operation.label}: {exc}")
        ran += 1
    assert ran >= 55
    assert not failures, "\n\n".join(failures)
