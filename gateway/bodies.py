"""Request bodies and arguments, bounded before they are read: the size limits of every
route (checked on the declared length first, then while reading), JSON that cannot
recurse too deep, arguments without NUL characters."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
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


# RFC 2046 §5.1.1: bchars, not ending in a space. The RFC caps the length at 70; common
# clients exceed it (Werkzeug's own test client sends up to 72), and a longer boundary is
# no less exact, so the cap here is 200: enough for them, small enough to bound the search.
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,199}[0-9A-Za-z'()+_,\-./:=?]")


class MultipartFile:
    """A multipart/form-data body read as it arrives: the one file part named ``name`` as
    pieces of bytes (never spooled to disk), and the text fields, complete once those
    pieces are exhausted (a field after the file part is read then). BadRequest for a body
    that is not multipart, has no such file part or has more than one."""

    def __init__(
        self,
        limit: int,
        name: str = "file",
        field_limit: int = 1 << 16,
        before_file: Callable[[dict[str, str]], None] | None = None,
    ) -> None:
        """``before_file``: called with the fields read so far when the file part begins,
        before any of its bytes is handed on (a page checks its CSRF token there)."""
        from werkzeug.http import parse_options_header

        mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
        boundary = options.get("boundary", "")
        # refused at the first read, inside the service, which audits it
        self._refused: BadRequest | None = None
        if mimetype != "multipart/form-data" or not _BOUNDARY.fullmatch(boundary):
            self._refused = BadRequest(
                f"the body must be multipart/form-data (with an RFC 2046 boundary) holding a "
                f"file part {name!r}"
            )
            boundary = "-"
        self.name = name
        self.fields: dict[str, str] = {}
        self.file_name = ""
        self._boundary = boundary.encode("ascii")
        self._limit = limit
        self._field_limit = field_limit
        self._seen_file = False
        self._before_file = before_file

    def chunks(self) -> Iterator[bytes]:
        from werkzeug.sansio.multipart import (
            Data,
            Epilogue,
            Field,
            File,
            MultipartDecoder,
            NeedData,
        )

        # no memory limit in the decoder: it would count the file's pieces too; the fields'
        # own limit is kept below, and the body's by ``body_chunks``
        if self._refused is not None:
            raise self._refused
        decoder = MultipartDecoder(self._boundary, None, max_parts=20)
        source = body_chunks(self._limit, 1 << 20)
        part: Field | File | None = None
        text = bytearray()
        done = False
        while not done:
            try:
                event = decoder.next_event()
                if isinstance(event, NeedData):
                    decoder.receive_data(next(source, None))
                    continue
            except RequestEntityTooLarge:
                raise BadRequest("the multipart body has too many parts") from None
            except ValueError as exc:
                raise BadRequest(f"the multipart body is malformed: {exc}") from None
            if isinstance(event, Epilogue):
                done = True
            elif isinstance(event, File):
                if event.name != self.name or self._seen_file:
                    raise BadRequest(f"the body must hold one file part, named {self.name!r}")
                self._seen_file, part, self.file_name = True, event, event.filename or ""
                if self._before_file is not None:
                    self._before_file(dict(self.fields))
            elif isinstance(event, Field):
                part, text = event, bytearray()
            elif isinstance(event, Data):
                if isinstance(part, File):
                    if event.data:
                        yield event.data
                elif isinstance(part, Field):
                    text += event.data
                    if len(text) > self._field_limit:
                        raise BadRequest(f"form field {part.name!r} is too long")
                    if not event.more_data:
                        self.fields[part.name] = text.decode("utf-8", "replace")
        if not self._seen_file:
            raise BadRequest(f"the body must hold a file part named {self.name!r}")
