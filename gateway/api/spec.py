"""The OpenAPI document is generated from the routes themselves, so it cannot drift:
every API view is registered through ``route`` below, which records its description."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint

from gateway.db import MAX_ID  # http.BoundedInt answers 404 past it


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    schema_type: str = "string"
    location: str = "query"
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None
    # further JSON Schema bounds and formats beside the type, e.g. {"format": "date"}
    constraints: dict[str, Any] = field(default_factory=dict)

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.schema_type}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.required and self.schema_type == "string":
            schema["minLength"] = 1
        schema.update(self.constraints)
        return schema


@dataclass
class Operation:
    rule: str
    method: str
    summary: str
    params: tuple[Param, ...] = ()
    body: dict[str, Any] | None = None
    responses: dict[str, str] = field(default_factory=dict)
    auth: bool = True
    produces: str | tuple[str, ...] = "application/json"
    endpoint: str = ""


OPERATIONS: list[Operation] = []


def route(
    bp: Blueprint,
    rule: str,
    method: str,
    summary: str,
    *,
    params: tuple[Param, ...] = (),
    body: dict[str, Any] | None = None,
    responses: dict[str, str] | None = None,
    auth: bool = True,
    produces: str | tuple[str, ...] = "application/json",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS.append(
            Operation(
                rule,
                method,
                summary,
                params,
                body,
                responses or {"200": "OK"},
                auth,
                produces,
                f"{bp.name}.{view.__name__}",
            )
        )
        bp.add_url_rule(rule, view.__name__, view, methods=[method])
        return view

    return decorate


def unknown_arguments(endpoint: str | None, method: str, names: Iterable[str]) -> list[str]:
    """The query arguments a request gives that its route does not declare (deny by
    default: a misspelt filter must not be read as no filter)."""
    wanted = "GET" if method.upper() == "HEAD" else method.upper()  # HEAD is GET's
    declared = {
        p.name
        for op in OPERATIONS
        if op.endpoint == endpoint and op.method.upper() == wanted
        for p in op.params
        if p.location == "query"
    }
    return sorted(name for name in set(names) if name not in declared)


def requires_auth(endpoint: str | None) -> bool:
    """Whether a request to ``endpoint`` must authenticate; unknown ones must (deny by
    default)."""
    return not any(op.endpoint == endpoint and not op.auth for op in OPERATIONS)


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def _path_params(rule: str) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}
            if conv == "int"
            # a path segment: not empty, and "/" is only in <path:...> (a Bates number
            # holds none)
            else {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
        }
        for conv, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", rule)
    ]


def _responses(op: Operation) -> dict[str, Any]:
    media = (op.produces,) if isinstance(op.produces, str) else op.produces
    responses: dict[str, Any] = {}
    for status, text in op.responses.items():
        responses[status] = {"description": text}
        if status != "204":
            responses[status]["content"] = {m: {"schema": {}} for m in media}
    responses["default"] = {
        "description": "error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    return responses


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def _operation_id(op: Operation) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", openapi_path(op.rule).lower()).strip("_")
    return f"{op.method.lower()}_{words}"


def build_document(prefix: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        parameters = _path_params(op.rule) + [
            {
                "name": p.name,
                "in": p.location,
                "required": p.required,
                "description": p.description,
                "schema": p.schema(),
            }
            for p in op.params
        ]
        entry: dict[str, Any] = {
            "summary": op.summary,
            "operationId": _operation_id(op),
            "parameters": parameters,
            "responses": _responses(op),
        }
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": op.body}
        if not op.auth:
            entry["security"] = []
        paths.setdefault(prefix + openapi_path(op.rule), {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Protective-order gateway API", "version": "1"},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
