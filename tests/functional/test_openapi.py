"""The OpenAPI document and the routes cannot drift apart."""

from __future__ import annotations

import re

from gateway.api.spec import openapi_path
from tests.helpers import BASE


def _routes(app):
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                found.add((openapi_path(rule.rule), method.lower()))
    return found


def test_every_api_route_is_documented_and_nothing_else(client, app):
    spec = client.get(f"{BASE}/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert documented == _routes(app)


def test_contract_paths_are_present(client):
    paths = client.get(f"{BASE}/api/v1/openapi.json").get_json()["paths"]
    for path, method in [
        ("/api/v1/auth/token", "post"),
        ("/api/v1/matters", "get"),
        ("/api/v1/matters/{matter_id}/documents", "get"),
        ("/api/v1/matters/{matter_id}/documents/{bates}", "get"),
        ("/api/v1/matters/{matter_id}/documents/{bates}/content", "get"),
        ("/api/v1/matters/{matter_id}/audit", "get"),
    ]:
        assert method in paths[path], f"{method.upper()} {path} missing"
    params = {
        p["name"] for p in paths["/api/v1/matters/{matter_id}/documents"]["get"]["parameters"]
    }
    assert {"q", "bates", "designation", "page", "per_page"} <= params


def test_path_parameters_match_the_rule(client):
    spec = client.get(f"{BASE}/api/v1/openapi.json").get_json()
    for path, ops in spec["paths"].items():
        names = set(re.findall(r"{([a-z_]+)}", path))
        for op in ops.values():
            declared = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert declared == names, path
