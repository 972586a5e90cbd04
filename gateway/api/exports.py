"""POST /matters/<id>/exports: a volume, a selection or an overlay, as a streamed ZIP."""

from __future__ import annotations

from typing import Any

from gateway.api import bp
from gateway.api.routes import _json, current_user
from gateway.api.spec import route
from gateway.errors import Invalid
from gateway.exports import overlay
from gateway.exports.service import ExportRequest, export
from gateway.http import client_address, runtime, stream_response

FIELDS = ("volume", "documents", "overlay_since", "name")
_SCHEMA = {
    "type": "object",
    "properties": {
        "volume": {"type": "string", "description": "a production volume's name"},
        "documents": {
            "type": "array",
            "items": {"type": "string"},
            "description": "BEGBATES of the documents to export",
        },
        "overlay_since": {
            "type": "string",
            "format": "date-time",
            "description": "an overlay of what changed for you since then (ISO 8601, with zone)",
        },
        "name": {"type": "string", "description": "the export's volume folder"},
    },
    "additionalProperties": False,
}


@route(
    bp,
    "/matters/<int:matter_id>/exports",
    "POST",
    "A ZIP in the review platforms' layout (DATA/ with DAT and OPT, IMAGES/, NATIVES/, "
    "TEXT/) of a volume, of listed documents, or an overlay of what changed since a time",
    body={"application/json": {"schema": _SCHEMA}},
    produces="application/zip",
)
def create_export(matter_id: int) -> Any:
    body = _json()
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise Invalid(f"unknown field(s): {', '.join(unknown)}")
    name = _text(body, "name")
    if "overlay_since" in body:
        if "volume" in body or "documents" in body:
            raise Invalid("overlay_since: an overlay takes no volume or documents")
        served = overlay.export_overlay(
            runtime(),
            current_user(),
            matter_id,
            since=_text(body, "overlay_since") or "",
            name=name,
            address=client_address(),
        )
        return stream_response(served)
    documents = body.get("documents", [])
    if not isinstance(documents, list) or not all(isinstance(b, str) for b in documents):
        raise Invalid("documents: give a list of BEGBATES strings")
    request = ExportRequest(volume=_text(body, "volume"), documents=tuple(documents), name=name)
    return stream_response(
        export(runtime(), current_user(), matter_id, request, address=client_address())
    )


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise Invalid(f"{key}: give a string")
    return value
