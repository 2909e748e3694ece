"""Error bodies in the one shape the OpenAPI document declares: ``{"error": str, "detail": str}``.

BentoML answers a bad field with pydantic's error list as ``detail``, some refusals as a JSON
list holding the body, and Starlette answers unknown methods in plain text; clients and
schema-checking tools get the declared shape from all of them instead.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

MAX_LISTED = 5  # field errors spelled out in one detail; the rest are counted


class InvalidBody(ValueError):
    """A request body the route cannot take: answered 400 with ``error`` and ``detail``."""

    def __init__(self, error: str, detail: str = "") -> None:
        super().__init__(f"{error}: {detail}" if detail else error)
        self.error, self.detail = error, detail


def error_body(error: str, detail: str = "") -> bytes:
    """The JSON body of an error answer."""
    return json.dumps({"error": error, "detail": detail} if detail else {"error": error}).encode()


def field_errors(errors: Sequence[Mapping[str, Any]]) -> str:
    """Pydantic's error list as one line naming each field and why it was refused.

    ``image[3][27]: Input should be less than or equal to 1; confidence_threshold: ...``
    """
    parts = [f"{_location(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors]
    if len(parts) > MAX_LISTED:
        parts = [*parts[:MAX_LISTED], f"and {len(parts) - MAX_LISTED} more"]
    return "; ".join(parts)


def _location(loc: Any) -> str:
    names = [str(part) for part in loc if not isinstance(part, int)]
    if not names:
        return "body"
    indexes = "".join(f"[{part}]" for part in loc if isinstance(part, int))
    return ".".join(names) + indexes


def declared_shape(status: int, body: bytes, content_type: str) -> bytes:
    """Any error answer rewritten to ``{"error": ..., "detail": ...}``, keeping its words."""
    if "json" not in content_type:
        return error_body(body.decode(errors="replace").strip() or f"HTTP {status}")
    try:
        payload = json.loads(body)
    except ValueError:
        return error_body(body.decode(errors="replace").strip())
    if isinstance(payload, list) and len(payload) == 1:  # BentoML's refusals arrive wrapped
        payload = payload[0]
    if not isinstance(payload, dict):
        return error_body(str(payload))
    detail = payload.get("detail", "")
    error = payload.get("error")
    if isinstance(detail, list):  # pydantic's errors
        error = f"{len(detail)} invalid field{'s' if len(detail) != 1 else ''}"
        detail = field_errors(detail)
    elif error is None:  # FastAPI's {"detail": "Not Found"}
        error, detail = str(detail) or f"HTTP {status}", ""
    return error_body(str(error), str(detail))
