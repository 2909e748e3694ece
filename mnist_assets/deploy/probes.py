"""Waiting for servers: HTTP readiness and free ports."""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Callable

from mnist_assets.settings import settings


def auth_headers() -> dict[str, str]:
    """The bearer token the service requires when ``MNIST_API_TOKEN`` is set, as a header."""
    token = settings().api_token
    return {"authorization": f"Bearer {token}"} if token else {}


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """Whether GET ``url`` answers 2xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # nosec B310
            return 200 <= response.status < 300
    except OSError:
        return False


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, alive: Callable[[], bool]
) -> None:
    """Poll ``check`` until true: TimeoutError after ``timeout`` s, RuntimeError once not alive."""
    deadline = time.monotonic() + timeout
    while not check():
        if not alive():
            raise RuntimeError(f"{what}: the process exited")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(0.25)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(host: str, port: int) -> bool:
    """Whether something accepts connections on ``host:port``."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0
