"""Schemathesis against the OpenAPI document the gateway serves: every operation, with
generated valid and invalid input, as a party's counsel. No answer may be a 5xx or
disagree with the document (status, media type, headers, body schema), and input the
document rules out must be refused with a 4xx.

Bounded: ``FUZZ_EXAMPLES`` cases per operation and mode (GATEWAY_TEST_FUZZ_EXAMPLES).
Driven through hypothesis directly: schemathesis' own pytest plugin does not run on
pytest 9.2.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway import create_app
from gateway.api import bp
from gateway.api.spec import build_document
from tests.helpers import auth, token_for

FUZZ_EXAMPLES = int(os.environ.get("GATEWAY_TEST_FUZZ_EXAMPLES", "50"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# revoking the run's token would leave the rest of it unauthenticated (tested elsewhere)
SKIPPED = {("delete", "/api/v1/auth/token")}
_PATHS = build_document(bp.url_prefix or "")["paths"]
# negative cases need some input to break
RUNS = [
    (method, path, mode)
    for path, methods in sorted(_PATHS.items())
    for method, operation in sorted(methods.items())
    if (method, path) not in SKIPPED
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode == GenerationMode.POSITIVE or operation["parameters"] or "requestBody" in operation
]


@pytest.fixture
def served(rt, demo):
    app = create_app(rt.settings, runtime=rt)
    # one address sends every refused request here; that limit is tested elsewhere
    rt.refusals.limit = 10**9
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema, token_for(app.test_client(), "counsel@plaintiffs.example")


@pytest.mark.parametrize(("method", "path", "mode"), RUNS)
def test_no_server_error_and_no_schema_mismatch(served, method, path, mode):
    schema, token = served
    operation = schema[path][method.upper()]
    cases = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        deadline=None,
        max_examples=FUZZ_EXAMPLES,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        cases.append(case)
        case.call_and_validate(headers=auth(token), checks=CHECKS)

    run()
    assert cases, f"no case generated for {method.upper()} {path}"
