"""ASGI middleware for what cuts across routes, and the small helpers the service's layers share.

The body-size cap, the bearer token, and error answers in the declared shape.
"""

import contextlib
import hmac
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mnist_assets.serving.errors import declared_shape, error_body

# (status, content type, body) -> the new body, or None to pass the answer on untouched
Rewrite = Callable[[int, str, bytes], bytes | None]

OPEN_PATHS = ("/health", "/livez", "/readyz", "/metrics", "/docs", "/schema.json")


async def send_json(send: Send, status: int, body: bytes, headers: list | None = None) -> None:
    """Answer with a JSON body without calling the app."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def reply(
    send: Send, status: int, error: str, detail: str = "", headers: list | None = None
) -> None:
    """Answer with a JSON error body without calling the app."""
    await send_json(send, status, error_body(error, detail), headers)


async def read_body(receive: Receive) -> bytes:
    """The whole request body (the size cap, when outside, bounds it)."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app ``body`` again, then whatever the client sends."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # the client's disconnect, when it comes
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def call_rewriting(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, rewrite: Rewrite
) -> None:
    """Call ``app``, letting ``rewrite`` replace the body of whole (non-streamed) answers."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def buffering_send(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body" or start is None:
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        content_type = dict(headers).get(b"content-type", b"").decode()
        body = b"".join(chunks)
        new_body = rewrite(start["status"], content_type, body)
        if new_body is not None:
            body = new_body
            headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
            headers.append((b"content-type", b"application/json"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    await app(scope, receive, buffering_send)


class DeclaredErrors:
    """Every 4xx answer in the declared ``{"error", "detail"}`` shape, whoever produced it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/metrics":
            await self.app(scope, receive, send)
            return

        def rewrite(status: int, content_type: str, body: bytes) -> bytes | None:
            return declared_shape(status, body, content_type) if 400 <= status < 500 else None

        await call_rewriting(self.app, scope, receive, send, rewrite)


class BodySizeLimit:
    """Answer 413 to request bodies over ``max_bytes``, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = f"the body is over the limit of {self.max_bytes} bytes"
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit():
            await reply(send, 400, "bad content-length header", declared.decode(errors="replace"))
            return
        if int(declared) > self.max_bytes:
            await reply(send, 413, "request body too large", too_large)
            return
        if b"content-length" in headers and b"transfer-encoding" not in headers:
            # The HTTP server hands the app no more than the declared length: nothing to count.
            await self.app(scope, receive, send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise BodyTooLarge
            return message

        async def send_unless_too_large(message: Message) -> None:
            if seen <= self.max_bytes:  # else the app is answering its own failed read
                await send(message)

        with contextlib.suppress(BodyTooLarge):  # BentoML may also catch it and answer 500
            await self.app(scope, counting_receive, send_unless_too_large)
        if seen > self.max_bytes:
            await reply(send, 413, "request body too large", too_large)


class BodyTooLarge(Exception):
    """Raised inside the app when a streamed body passes the cap."""


SEND_TOKEN = "send the header Authorization: Bearer <token>"
SEND_GUARD_TOKEN = (
    f"{SEND_TOKEN} (MNIST_API_TOKEN, or the deploy's own in <run folder>/review-token)"
)
NO_TOKEN = "no token is set for this service: set MNIST_API_TOKEN or MNIST_REVIEW_TOKEN"


class BearerToken:
    """``Authorization: Bearer <token>`` on every route but health, metrics and docs.

    With no ``token`` the routes are open, except ``guarded`` ones (users' inputs), which take
    the token ``guard_token()`` returns then (read per request: they are rare) and are refused
    outright while no token is set at all.
    """

    def __init__(
        self,
        app: ASGIApp,
        token: str | None,
        guarded: tuple[str, ...] = (),
        guard_token: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.app, self.token, self.guarded, self.guard_token = app, token, guarded, guard_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        guarded = path in self.guarded
        expected = (self.token or self.guard_token()) if guarded else self.token
        if scope["type"] != "http" or path.startswith(OPEN_PATHS) or not (expected or guarded):
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"authorization", b"")
        if expected and hmac.compare_digest(given, f"Bearer {expected}".encode()):
            await self.app(scope, receive, send)
            return
        detail = NO_TOKEN if not expected else SEND_GUARD_TOKEN if guarded else SEND_TOKEN
        challenge = [(b"www-authenticate", b"Bearer")]
        await reply(send, 401, "missing or wrong bearer token", detail, challenge)
