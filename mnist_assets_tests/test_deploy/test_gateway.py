"""The gateway's nginx configuration, checked by nginx and served by a real nginx."""

import http.server
import json
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from mnist_assets.deploy.gateway import Gateway, GatewayError, nginx_binary
from mnist_assets.deploy.probes import free_port, wait_until


def test_config_passes_nginx_own_check(tmp_path: Path) -> None:
    gateway = Gateway(tmp_path, "127.0.0.1", 18080)
    gateway.write_config(upstream_port=18081)  # runs `nginx -t`, raising on a bad config
    assert "server 127.0.0.1:18081;" in (gateway.state / "upstream.conf").read_text()
    assert "listen 127.0.0.1:18080;" in gateway.config.read_text()


def test_a_config_nginx_refuses_never_replaces_the_live_one(tmp_path: Path) -> None:
    gateway = Gateway(tmp_path, "127.0.0.1", 18080)
    gateway.write_config(upstream_port=18081)
    live = gateway.upstream.read_text(), gateway.config.read_text()
    broken = Gateway(tmp_path, "not a host name!", 18080)  # `listen` refuses it
    with pytest.raises(GatewayError, match="nginx -t -q failed"):
        broken.write_config(upstream_port=18082)
    assert (gateway.upstream.read_text(), gateway.config.read_text()) == live
    assert gateway.routed_port() == 18081


def test_missing_nginx_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(GatewayError, match="apt-get install nginx-light"):
        nginx_binary(search_path=str(tmp_path))


class _Upstream(http.server.BaseHTTPRequestHandler):
    """Stands in for the bento behind nginx and counts the requests that reach it."""

    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        _Upstream.seen.append(self.path)
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway_url(tmp_path: Path) -> Iterator[str]:
    """nginx with the project's config in front of a counting upstream."""
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    gateway = Gateway(tmp_path, "127.0.0.1", free_port())
    gateway.write_config(upstream_port=upstream.server_address[1])
    nginx = _start(gateway)
    try:
        _Upstream.seen.clear()
        yield f"http://127.0.0.1:{gateway.port}"
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        upstream.shutdown()


def _start(gateway: Gateway) -> subprocess.Popen:
    nginx = subprocess.Popen(gateway.command(), stderr=subprocess.DEVNULL)

    def listening() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", gateway.port)) == 0

    wait_until(listening, 10, "nginx", lambda: nginx.poll() is None)
    return nginx


def _answer(url: str, method: str, body: bytes | Iterator[bytes] | None = None) -> tuple:
    """(status, headers, JSON body) of one request."""
    headers = {"content-type": "application/json"}
    if body is not None and not isinstance(body, bytes):
        headers["transfer-encoding"] = "chunked"  # no content-length: nginx counts as it reads
    request = urllib.request.Request(url, body, headers, method=method)  # type: ignore[arg-type]
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read())


def test_gateway_refuses_bodies_over_the_cap_streamed_or_declared(gateway_url: str) -> None:
    chunks = (b"[" * 1024 * 1024 for _ in range(9))  # 9 MiB, chunked
    status, _, body = _answer(f"{gateway_url}/predict", "POST", chunks)
    assert status == 413 and body["detail"] == "the body is over the limit of 8388608 bytes"
    status, _, _ = _answer(f"{gateway_url}/predict", "POST", b"[" * (9 * 1024 * 1024))
    assert status == 413
    assert _Upstream.seen == []  # the bento never read a byte of either
    assert _answer(f"{gateway_url}/predict", "POST", b"{}")[0] == 200  # under the cap: passed on


def test_gateway_trace_names_the_allowed_methods(gateway_url: str) -> None:
    status, headers, body = _answer(f"{gateway_url}/predict/batch", "TRACE")
    assert (status, headers["allow"]) == (405, "POST") and body["error"] == "Method Not Allowed"
    status, headers, _ = _answer(f"{gateway_url}/model/info", "TRACE")
    assert (status, headers["allow"]) == (405, "GET, HEAD")


def test_gateway_without_a_bento_answers_503_in_the_error_shape(tmp_path: Path) -> None:
    gateway = Gateway(tmp_path, "127.0.0.1", free_port())
    gateway.write_config(upstream_port=free_port())  # nothing listens there
    nginx = _start(gateway)
    try:
        status, headers, body = _answer(f"http://127.0.0.1:{gateway.port}/predict", "POST", b"{}")
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
    assert (status, headers["retry-after"]) == (503, "5")
    assert body == {"error": "service unavailable", "detail": "no bento answered; retry shortly"}
