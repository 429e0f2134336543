"""Request bodies: DRF's JSON parser with a nesting limit.

Python's JSON decoder recurses once per nested array or object: a 2 KB body of 1,000 ``[`` raises ``RecursionError``,
which DRF does not catch (a 500), and a body just under the interpreter's limit would fail later, wherever it is
walked again. Here both are a 400 ``{"detail": "JSON parse error - …"}`` like any malformed body: no request of this
API nests deeper than a price plan does (a handful of levels), so anything deeper than ``MAX_DEPTH`` is refused.
"""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


def depth(value) -> int:
    """How deeply ``value``'s arrays and objects nest (a scalar: 0), counted without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # deeper than the decoder itself can go
            too_deep = True
        else:
            too_deep = depth(data) > MAX_DEPTH
        if not too_deep:
            return data
        raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} arrays and objects")
