"""What the Prometheus API client makes of replies that are not a query result."""

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mnist_assets.monitoring.prometheus import Prometheus, PrometheusApi, PrometheusError


@contextmanager
def answering(status: int, body: bytes, content_type: str) -> Iterator[str]:
    """A server that answers every GET with ``status`` and ``body``; yields its URL."""

    class Fixed(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Fixed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join()


def test_a_prometheus_still_starting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    # What Prometheus answers every query until its storage is open.
    with answering(503, b"Service Unavailable\n", "text/plain") as url:
        with pytest.raises(PrometheusError, match="HTTP 503: Service Unavailable"):
            PrometheusApi(url).query("up")
        port = int(url.rsplit(":", 1)[1])
        assert not Prometheus(tmp_path, "127.0.0.1", port).target_up()  # a deploy waits on


def test_the_apis_own_error_is_passed_on() -> None:
    error = b'{"status":"error","errorType":"bad_data","error":"parse error at char 3"}'
    match = re.escape("up{: bad_data: parse error at char 3")
    with (
        answering(400, error, "application/json") as url,
        pytest.raises(PrometheusError, match=match),
    ):
        PrometheusApi(url).query("up{")


def test_something_else_on_the_port_is_named() -> None:
    with answering(200, b"<html>a web page</html>", "text/html") as url:
        match = re.escape(f"{url} answered, but not as Prometheus")
        with pytest.raises(PrometheusError, match=match):
            PrometheusApi(url).query("up")
