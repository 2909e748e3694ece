"""The gateway: nginx on the public port, proxying to whichever bento is live.

Swapping bentos rewrites one upstream file and reloads nginx, which finishes in-flight requests
on the old workers while new connections reach the new bento: no window where /predict fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mnist_assets.constants import SERVICE_POST_ROUTES
from mnist_assets.deploy.files import write_atomically
from mnist_assets.settings import settings

NGINX_CONF = """\
# Written by mnist-assets deploy; regenerated on every deploy, do not edit.
worker_processes 1;
daemon off;
pid {state}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {state}/body;
    proxy_temp_path {state}/proxy;
    fastcgi_temp_path {state}/fastcgi;
    uwsgi_temp_path {state}/uwsgi;
    scgi_temp_path {state}/scgi;
    # The body cap is enforced here, streamed (chunked) bodies too, before the bento reads a
    # byte; bodies under it stay in memory (a buffer a little larger than the cap: a chunked
    # body that reaches it is found over the cap before a byte would go to a temporary file).
    client_max_body_size {max_body};
    client_body_buffer_size {body_buffer};
    proxy_max_temp_file_size 0;
    # nginx answers TRACE itself; its 405 names the methods the path takes, as the bento's do.
    map $uri $allowed_methods {{
        default "GET, HEAD";
{post_routes}
    }}
    include {upstream};
    server {{
        listen {host}:{port};
        # The gateway's own answers in the service's error shape ({{"error", "detail"}}).
        error_page 413 @too_large;
        error_page 405 @not_allowed;
        error_page 502 503 504 =503 @unavailable;
        location / {{
            proxy_pass http://bento;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_read_timeout 60s;
        }}
        location @too_large {{
            default_type application/json;
            return 413 '{{"error": "request body too large",
                         "detail": "the body is over the limit of {max_body} bytes"}}';
        }}
        location @not_allowed {{
            default_type application/json;
            add_header Allow $allowed_methods always;
            return 405 '{{"error": "Method Not Allowed", "detail": "$uri takes $allowed_methods"}}';
        }}
        location @unavailable {{
            default_type application/json;
            add_header Retry-After 5 always;
            return 503 '{{"error": "service unavailable",
                         "detail": "no bento answered; retry shortly"}}';
        }}
    }}
}}
"""

UPSTREAM_CONF = """\
upstream bento {{
    server 127.0.0.1:{port};
    keepalive 64;
}}
"""


class GatewayError(RuntimeError):
    """nginx is missing or refused its configuration."""


@dataclass(frozen=True)
class Gateway:
    """nginx configuration under ``<run_dir>/gateway`` for one public address."""

    run_dir: Path
    host: str
    port: int

    @property
    def state(self) -> Path:
        return self.run_dir / "gateway"

    @property
    def config(self) -> Path:
        return self.state / "nginx.conf"

    @property
    def upstream(self) -> Path:
        return self.state / "upstream.conf"

    def write_config(self, upstream_port: int) -> None:
        """Point the gateway's files at ``upstream_port``, checked by nginx first.

        The new files replace the live ones only once ``nginx -t`` accepts them: when it
        refuses them, GatewayError, and the live files stay as they were.
        """
        self.state.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "logs").mkdir(parents=True, exist_ok=True)
        candidate = self.state / "candidate"
        candidate.mkdir(exist_ok=True)
        (candidate / "upstream.conf").write_text(UPSTREAM_CONF.format(port=upstream_port))
        (candidate / "nginx.conf").write_text(self._main_config(candidate / "upstream.conf"))
        self._nginx("-t", "-q", config=candidate / "nginx.conf")
        write_atomically(self.upstream, (candidate / "upstream.conf").read_text())
        write_atomically(self.config, self._main_config(self.upstream))

    def routed_port(self) -> int | None:
        """The port the live upstream file sends requests to, None before the first deploy."""
        if not self.upstream.exists():
            return None
        match = re.search(r"server 127\.0\.0\.1:(\d+);", self.upstream.read_text())
        return int(match.group(1)) if match else None

    def _main_config(self, upstream: Path) -> str:
        logs = self.run_dir / "logs"
        post_routes = "\n".join(f"        {route} POST;" for route in SERVICE_POST_ROUTES)
        return NGINX_CONF.format(
            state=self.state,
            logs=logs,
            host=self.host,
            port=self.port,
            upstream=upstream,
            max_body=settings().max_body_bytes,
            body_buffer=settings().max_body_bytes + 64 * 1024,
            post_routes=post_routes,
        )

    def command(self, config: Path | None = None) -> list[str]:
        """The foreground nginx command a supervisor runs."""
        return [
            nginx_binary(),
            "-c",
            str(config or self.config),
            "-e",
            "stderr",  # into the supervisor's log, which has a size cap
        ]

    def reload(self) -> None:
        """Graceful reload: new workers get the new upstream, old ones finish their requests."""
        self._nginx("-s", "reload")

    def _nginx(self, *args: str, config: Path | None = None) -> None:
        command = [*self.command(config), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise GatewayError(f"nginx {' '.join(args)} failed: {done.stderr.strip()}")


def nginx_binary(search_path: str | None = None) -> str:
    """The nginx executable, or a GatewayError saying how to install it.

    Debian installs it in /usr/sbin, which a non-root PATH often lacks.
    """
    if search_path is None:
        search_path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
    found = shutil.which("nginx", path=search_path)
    if found is None:
        raise GatewayError(
            "nginx not found: install it (Debian/Ubuntu: apt-get install nginx-light; "
            "macOS: brew install nginx) or run `make deploy` as root on Debian to install it"
        )
    return found
