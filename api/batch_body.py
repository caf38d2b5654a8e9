"""A batch's body, read in bounded pieces: gzip undone as it arrives, MAX_BATCH_BYTES on what it becomes.

Flask does not undo a ``Content-Encoding``: the view sees the compressed bytes. Here zlib's decompressobj
is given at most the bytes still allowed (``max_length``), so a body that inflates past the limit (a zip
bomb) is refused after producing at most the limit, and the upload itself is held to the same limit:
Werkzeug refuses a Content-Length over ``request.max_content_length`` (request_limits sets it for this
endpoint) before a byte is read, and a chunked upload stops there.
"""
from __future__ import annotations

import zlib

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from capplan.errors import InvalidRequest

PIECE = 256 * 1024          # bytes read from the socket at a time
GZIP_WBITS = 16 + zlib.MAX_WBITS


class BatchTooLarge(RequestEntityTooLarge):
    description = "the batch is larger than MAX_BATCH_BYTES"


def batch_bytes(limit: int) -> bytes:
    """The body as the client meant it (gunzipped), at most ``limit`` bytes; 413 past it, 400 for bad gzip."""
    stream = request.stream                      # 413 here for a Content-Length over the limit
    if request.headers.get("Content-Encoding", "").strip().lower() == "gzip":   # any other: 415 before
        return _gunzipped(stream, limit)
    out = bytearray()
    while piece := stream.read(PIECE):
        out += piece
        if len(out) > limit:
            raise BatchTooLarge()
    return bytes(out)


def _gunzipped(stream, limit: int) -> bytes:
    """Each gzip member in turn (concatenated members are one file to gzip), inflated up to ``limit``."""
    out = bytearray()
    inflate = zlib.decompressobj(GZIP_WBITS)
    pending = b""
    while pending or (pending := stream.read(PIECE)):
        try:
            out += inflate.decompress(pending, limit + 1 - len(out))
        except zlib.error:
            raise InvalidRequest.field("body", "is not valid gzip (Content-Encoding: gzip)") from None
        if len(out) > limit:
            raise BatchTooLarge()
        pending = inflate.unconsumed_tail
        if inflate.eof:
            pending = inflate.unused_data
            if not pending.strip(b"\0"):         # the end, or zeros gzip pads a file with
                while stream.read(PIECE):        # read to the end, so the connection can answer
                    pass
                return bytes(out)
            inflate = zlib.decompressobj(GZIP_WBITS)
    raise InvalidRequest.field("body", "is not valid gzip: it ends before the compressed data does")
