"""The prediction routes' front door: each content type a route takes, answered in one place.

``bentos/service.py`` names, per route, the content types the fast path answers (handlers that
decode the body straight into numpy and call the worker's model) and the routes BentoML answers
itself. A content type neither names is refused here (415); a multipart body bound for
BentoML has its parts checked first (multipart_guard). Errors come in the declared shape.
"""

from collections.abc import Awaitable, Callable, Mapping

from pydantic import BaseModel
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from mnist_assets.serving.errors import InvalidBody
from mnist_assets.serving.middleware import read_body, replaying, reply, send_json
from mnist_assets.serving.multipart_guard import (
    MULTIPART,
    DeclaredInput,
    media_type_of,
    parts_problem,
)

# A fast handler: the request -> its answer, or InvalidBody (400) in words a client can act on.
Handler = Callable[[Request], Awaitable[BaseModel]]


class FastPath:
    """Answer ``fast`` (route -> media type -> handler); pass ``declared`` routes to BentoML."""

    def __init__(
        self,
        app: ASGIApp,
        fast: Mapping[str, Mapping[str, Handler]],
        declared: Mapping[str, DeclaredInput],
    ) -> None:
        self.app, self.fast = app, fast
        self.declared = {route: d for route, d in declared.items() if route not in fast}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if path not in self.fast and path not in self.declared:
            await self.app(scope, receive, send)  # not a prediction route: BentoML's 404 or 405
            return
        header = dict(scope["headers"]).get(b"content-type", b"").decode(errors="replace")
        media_type, params = media_type_of(header)
        if handler := self.fast.get(path, {}).get(media_type):
            try:
                answer = await handler(Request(scope, receive))
            except InvalidBody as exc:
                await reply(send, 400, exc.error, exc.detail)
                return
            await send_json(send, 200, answer.model_dump_json().encode())
            return
        declared = self.declared.get(path)
        if declared is None or media_type != declared.media_type:
            accepted = list(self.fast.get(path, {}))
            if declared is not None:
                accepted.append(declared.media_type)
            takes = " or ".join(accepted)
            sent = media_type or "a body without a content type"
            await reply(send, 415, "unsupported content type", f"{path} takes {takes}, not {sent}")
            return
        if media_type == MULTIPART:
            if not params.get("boundary"):
                detail = "the content-type header must carry boundary=..."
                await reply(send, 400, "multipart body without a boundary", detail)
                return
            body = await read_body(receive)
            if problem := await parts_problem(scope, body, declared):
                await reply(send, 400, "bad multipart upload", problem)
                return
            receive = replaying(body, receive)
        await self.app(scope, receive, send)
