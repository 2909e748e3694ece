"""What a BentoML route declares it takes, and the multipart check before BentoML reads a body.

BentoML deserialises whatever content type a request names (its pickle format among them),
answers a multipart body without a boundary with a 500, and treats a text part where a file
belongs as a URL or path to fetch. Only each route's declared media type may reach it, and on
multipart routes only the declared parts: files where files belong, text elsewhere.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message, Scope

from mnist_assets.serving.middleware import replaying

MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class DeclaredInput:
    """What one route's request body must be."""

    media_type: str
    fields: frozenset[str]
    file_fields: frozenset[str]  # on multipart routes: parts that must be uploaded files


def declared_inputs(apis: Mapping[str, Any]) -> dict[str, DeclaredInput]:
    """Route -> declared input, read from a BentoML service's ``apis``."""
    return {
        api.route: DeclaredInput(
            media_type=api.input_spec.mime_type(),
            fields=frozenset(api.input_spec.model_fields),
            file_fields=frozenset(api.input_spec.multipart_fields),
        )
        for api in apis.values()
    }


def media_type_of(header: str) -> tuple[str, dict[str, str]]:
    """``'Multipart/Form-Data; boundary=x'`` -> ``('multipart/form-data', {'boundary': 'x'})``."""
    kind, *options = header.split(";")
    params = {}
    for option in options:
        key, _, value = option.partition("=")
        params[key.strip().lower()] = value.strip().strip('"')
    return kind.strip().lower(), params


def upload_problem(form: Any, declared: DeclaredInput) -> str | None:
    """What is wrong with the parts of a multipart body, or None."""
    names = [name for name, _ in form.multi_items()]
    if unknown := sorted(set(names) - declared.fields):
        takes = ", ".join(sorted(declared.fields))
        return f"unknown part {', '.join(unknown)}; this route takes {takes}"
    if repeated := sorted({name for name in names if names.count(name) > 1}):
        return f"part {', '.join(repeated)} sent more than once"
    for name in sorted(declared.file_fields):
        if name not in form:
            return f"{name}: required, an uploaded PNG or JPEG file part"
        if not isinstance(form[name], UploadFile):
            return f"{name}: must be an uploaded file part (with a filename), not text"
    for name in sorted(set(names) - declared.file_fields):
        if isinstance(form[name], UploadFile):
            return f"{name}: must be a text part, not a file"
    return None


async def parts_problem(scope: Scope, body: bytes, declared: DeclaredInput) -> str | None:
    """What is wrong with the multipart ``body`` sent to a route declaring ``declared``, or None."""
    request = Request(scope, replaying(body, _never))
    try:
        limit = len(declared.fields)
        form = await request.form(max_files=limit, max_fields=limit)
    except HTTPException as exc:  # Starlette's own words on a malformed body
        return str(exc.detail)
    except MultiPartException as exc:
        return exc.message
    try:
        return upload_problem(form, declared)
    finally:
        await form.close()


async def _never() -> Message:
    return {"type": "http.disconnect"}
