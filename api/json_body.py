"""The request body parsed as JSON here, not by Flask's get_json, so that no body can cause a 500."""
from __future__ import annotations

import json

from flask import request

from capplan.errors import InvalidRequest


def json_body():
    """The parsed body; one that is not JSON, or nested past the parser's recursion limit, is a 400."""
    return parsed_json(request.get_data(cache=True))          # over MAX_CONTENT_LENGTH: 413


def parsed_json(data: bytes):
    """``data`` parsed, or the 400 naming the body."""
    try:
        return json.loads(data)
    except RecursionError:                       # thousands of nested brackets
        raise InvalidRequest.field("body", "is nested too deeply to be a request") from None
    except ValueError:                           # not JSON, not UTF-8, an integer of over 4,300 digits
        raise InvalidRequest.field("body", "must be a JSON object (the body is not valid JSON)") from None
