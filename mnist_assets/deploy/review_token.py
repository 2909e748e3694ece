"""The credential that guards users' inputs (``GET /inputs/recent``) when the user set none.

The service never hands out the inputs it kept without a bearer token. With ``MNIST_API_TOKEN``
set, that token guards everything; without it, the deploy makes a token of its own, once per
run folder (mode 0600), gives it to the bento as ``MNIST_REVIEW_TOKEN`` and the drift sensor
reads it from the same file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from mnist_assets.settings import settings

REVIEW_TOKEN_ENV = "MNIST_REVIEW_TOKEN"
TOKEN_FILE = "review-token"


def review_token(run_dir: Path) -> str:
    """``MNIST_API_TOKEN`` when set, else the run folder's own token, made on first use."""
    if token := settings().api_token:
        return token
    path = run_dir / TOKEN_FILE
    run_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()


def inputs_headers(run_dir: Path) -> dict[str, str]:
    """The header that reads the deployment's kept inputs; empty when it has no token yet."""
    token = settings().api_token
    if token is None and (run_dir / TOKEN_FILE).is_file():
        token = (run_dir / TOKEN_FILE).read_text().strip()
    return {"authorization": f"Bearer {token}"} if token else {}
