"""Request bodies and arguments, bounded before they are read: the size limits of every
route (checked on the declared length first, then while reading), JSON that cannot
recurse too deep, arguments without NUL characters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.errors import BadRequest, TooLarge
from gateway.http import client_address, runtime


def limit_body(limit: int, *, refuse: bool = True) -> None:
    """Bound the body to ``limit`` bytes (inclusive) before any of it is read.

    A declared length over the limit is refused at once (``refuse``; else by the first
    read of ``body_chunks``, so that a service can audit it), and counted with the
    unauthenticated refusals: a flood of them costs one audit entry per interval. A
    body without a length (chunked) is read through a stream that stops one byte past
    the limit, so that "exactly the limit" and "over it" differ without reading more.
    """
    length = request.content_length
    if refuse and length is not None and length > limit:
        from gateway.accounts import refusals

        refusals.count(runtime(), client_address(), f"body over {limit} bytes")
        raise TooLarge(f"the body exceeds {limit} bytes")
    request.max_content_length = limit + 1


def refuse_nul() -> None:
    """No path or argument may hold a NUL character: PostgreSQL cannot store or compare
    one, so it would fail deep in a query instead of here, with a reason."""
    values = [request.path, *request.args.keys(), *request.args.values()]
    if any("\x00" in value for value in values):
        raise BadRequest("the request's path or arguments hold a NUL character")


def body_chunks(limit: int, size: int = 1 << 20) -> Iterator[bytes]:
    """The body in pieces, never spooled to a file; TooLarge once past ``limit``."""
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"the body exceeds {limit} bytes")
    total = 0
    try:
        stream = request.stream
        while chunk := stream.read(size):
            total += len(chunk)
            if total > limit:
                raise TooLarge(f"the body exceeds {limit} bytes")
            yield chunk
    except RequestEntityTooLarge as exc:
        raise TooLarge(f"the body exceeds {limit} bytes") from exc


def read_json(limit: int) -> Any:
    """The body as JSON, at most ``limit`` bytes; any malformed body is a BadRequest
    (so is one nested too deep to parse)."""
    data = b"".join(body_chunks(limit, 1 << 16))
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise BadRequest("the request body must be a JSON object") from exc
