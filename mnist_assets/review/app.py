"""The labelling page: drift episodes, their inputs as a grid, labels set from the keyboard.

A Starlette app over the review folder; the pages are Jinja templates and one small script
(``static/review.js``), no build step. Each label is saved as it is set, so closing the tab
loses nothing; "Send for training" writes the labelled inputs into the incoming folder.
Handlers are ``async`` and so run one at a time: two labels never race on ``labels.json``.
"""

from __future__ import annotations

import hmac
import time
from pathlib import Path
from typing import Any

import dagster as dg
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from mnist_assets.review.episode import Episode, LabelError, episodes
from mnist_assets.review.progress import BatchFolders

HERE = Path(__file__).resolve().parent
COOKIE = "mnist_review_token"


def review_app(root: Path, folders: BatchFolders, token: str | None) -> Starlette:
    """The page over the episodes under ``root``; with ``token``, only for those who have it."""
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["when"] = lambda t: time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t))
    instance: list[dg.DagsterInstance] = []

    def dagster() -> dg.DagsterInstance | None:
        if not instance:
            try:
                instance.append(dg.DagsterInstance.get())
            except dg.DagsterInvariantViolationError:  # no DAGSTER_HOME: no run to show
                return None
        return instance[0]

    def episode(request: Request) -> Episode:
        name = request.path_params["name"]
        found = next((e for e in episodes(root) if e.name == name), None)
        if found is None:
            raise HTTPException(404, f"no episode {name!r} under {root}")
        return found

    async def index(request: Request) -> Response:
        rows = [(e, e.record(), e.labels(), e.sent()) for e in episodes(root)]
        return templates.TemplateResponse(request, "index.html", {"rows": rows, "root": root})

    async def show(request: Request) -> Response:
        current = episode(request)
        context = {"episode": current, "record": current.record(), "labels": current.labels(),
                   "sent": current.sent()}  # fmt: skip
        return templates.TemplateResponse(request, "episode.html", context)

    async def image(request: Request) -> Response:
        current, file = episode(request), request.path_params["file"]
        if file not in {entry.file for entry in current.record().inputs}:
            raise HTTPException(404, f"{current.name} has no input {file!r}")
        return FileResponse(current.folder / "unlabelled" / file, media_type="image/png")

    async def label(request: Request) -> Response:
        current = episode(request)
        try:
            body: dict[str, Any] = await request.json()
            labels = current.set_label(request.path_params["file"], body.get("label"))
        except (ValueError, AttributeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"labelled": len(labels)})

    async def send(request: Request) -> Response:
        current = episode(request)
        try:
            current.send(folders.incoming)
        except LabelError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return RedirectResponse(f"/episodes/{current.name}", status_code=303)

    async def progress(request: Request) -> Response:
        sent = episode(request).sent()
        if sent is None:
            return JSONResponse({"state": "unsent", "detail": "not sent for training yet"})
        return JSONResponse(folders.progress(sent, dagster()).__dict__)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/", index),
            Route("/health", health),
            Route("/episodes/{name}", show),
            Route("/episodes/{name}/inputs/{file}", image),
            Route("/episodes/{name}/labels/{file}", label, methods=["PUT"]),
            Route("/episodes/{name}/send", send, methods=["POST"]),
            Route("/episodes/{name}/progress", progress),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[] if token is None else [Middleware(TokenGate, token=token)],
    )


class TokenGate:
    """Everything but ``/health`` needs the token.

    As a bearer header, or as the cookie that opening any page with ``?token=...`` sets (so a
    browser carries it from then on).
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/health":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        offered = request.query_params.get("token")
        if offered is not None and hmac.compare_digest(offered, self.token):
            answer: Response = RedirectResponse(request.url.remove_query_params("token"), 303)
            answer.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
        elif self._carries(request):
            await self.app(scope, receive, send)
            return
        else:
            answer = JSONResponse({"error": "open the page with ?token=<MNIST_API_TOKEN>"}, 401)
        await answer(scope, receive, send)

    def _carries(self, request: Request) -> bool:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        cookie = request.cookies.get(COOKIE, "")
        return any(hmac.compare_digest(c, self.token) for c in (bearer, cookie) if c)
