"""The service's OpenAPI document, completed with the answers the middleware adds.

BentoML documents 200, 400, 404 and 500 for each prediction route; the middleware also answers
413 (body over the limit), 415 (undeclared content type) and 401 (with a token set; on
``/inputs/recent`` always). Clients
and schema-checking tools see every status the service can send, each with its body schema.
"""

import json
from collections.abc import Callable, Mapping

from pydantic import BaseModel

from mnist_assets.serving.middleware import ASGIApp, Receive, Scope, Send, call_rewriting

REF = "#/components/schemas/{model}"
ERROR_SCHEMA = {"$ref": "#/components/schemas/InvalidArgument"}  # {"error": str, "detail": str}
ADDED = {
    "413": "Request body over the service's size limit",
    "415": "Content type not declared for this route",
}
UNAUTHORISED = {"401": "Missing or wrong bearer token"}


def completed(
    spec: dict,
    token_required: bool,
    open_paths: tuple[str, ...],
    gets: Mapping[str, type[BaseModel]],
    posts: Mapping[str, dict] | None = None,
    guarded: tuple[str, ...] = (),
    answers: Mapping[str, Mapping[str, str]] | None = None,
) -> dict:
    """``spec`` completed in place.

    The mounted GET routes (``gets``: path -> answer model) are documented, the request bodies
    and query parameters middleware accepts on POST routes (``posts``: path -> ``{"content":
    {media type: ...}, "parameters": [...]}``) added, and the middleware's answers declared on
    every operation they can reach. ``guarded`` paths need a token even when none is set;
    ``answers`` (path -> {status: description}) are a route's own errors BentoML cannot know.
    """
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for path, model in gets.items():
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))  # the models it nests, as components
        schemas[model.__name__] = schema
        answer = {"schema": {"$ref": REF.format(model=model.__name__)}}
        spec.setdefault("paths", {})[path] = {
            "get": {
                "summary": (model.__doc__ or "").strip(),
                "responses": {
                    "200": {"description": "OK", "content": {"application/json": answer}}
                },
            }
        }
    for path, extra in (posts or {}).items():
        operation = spec["paths"][path]["post"]
        operation["requestBody"]["content"].update(extra.get("content", {}))
        operation.setdefault("parameters", []).extend(extra.get("parameters", []))
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            added = dict(ADDED) | dict((answers or {}).get(path, {})) if method == "post" else {}
            if "requestBody" in operation:  # a prediction without a body is refused, not empty
                operation["requestBody"]["required"] = True
            if (token_required and not path.startswith(open_paths)) or path in guarded:
                added |= UNAUTHORISED
            for status, description in added.items():
                operation.setdefault("responses", {})[status] = {
                    "description": description,
                    "content": {"application/json": {"schema": ERROR_SCHEMA}},
                }
    return spec


class CompletedOpenApi:
    """Serve ``/docs.json`` completed in place by ``complete`` (see :func:`completed`)."""

    def __init__(self, app: ASGIApp, complete: Callable[[dict], object]) -> None:
        self.app, self.complete = app, complete  # e.g. functools.partial(completed, ...)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/docs.json":
            await self.app(scope, receive, send)
            return

        def rewrite(status: int, content_type: str, body: bytes) -> bytes | None:
            if status != 200:
                return None
            spec = json.loads(body)
            self.complete(spec)
            return json.dumps(spec).encode()

        await call_rewriting(self.app, scope, receive, send, rewrite)
