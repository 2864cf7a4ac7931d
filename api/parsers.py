"""JSON bodies with a bounded nesting depth.

Python's json module parses recursively: a body of a thousand ``[`` (a few kilobytes, sent by anyone to the
token endpoint) ends in RecursionError, a 500. No body of this API nests deeper than a GeoJSON point inside an
action's body (four levels), so anything deeper than MAX_JSON_DEPTH is refused with 400 after a flat scan of
its brackets, before the parser recurses.
"""
import io
import json
import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32
# A JSON string (with its escapes), whose brackets are text, not structure.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(data):
    """The deepest nesting of arrays and objects in ``data`` (bytes), without parsing it."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b"", data)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def too_deep():
    return ParseError(_("JSON 嵌套层数过多（最多 %(depth)s 层）") % {"depth": MAX_JSON_DEPTH})


def loads_shallow(data):
    """``json.loads`` for text from a client: ParseError when nested deeper than MAX_JSON_DEPTH or invalid."""
    raw = data.encode() if isinstance(data, str) else data
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise too_deep()
    return json.loads(raw)


class ShallowJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than MAX_JSON_DEPTH with 400 before parsing them."""

    def parse(self, stream, media_type=None, parser_context=None):
        # Django has the body in memory already (within DATA_UPLOAD_MAX_MEMORY_SIZE): reading it here is free.
        raw = stream.read() if stream is not None else b""
        if json_depth(raw) > MAX_JSON_DEPTH:
            raise too_deep()
        return super().parse(io.BytesIO(raw), media_type, parser_context)
