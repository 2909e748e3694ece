"""The gateway: nginx on the public port, proxying to whichever bento is live.

Swapping bentos rewrites one upstream file and reloads nginx, which finishes in-flight requests
on the old workers while new connections reach the new bento: no window where /predict fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

NGINX_CONF = """\
# Written by mnist-assets deploy; regenerated on every deploy, do not edit.
worker_processes 1;
daemon off;
pid {state}/nginx.pid;
error_log {logs}/gateway-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {state}/body;
    proxy_temp_path {state}/proxy;
    fastcgi_temp_path {state}/fastcgi;
    uwsgi_temp_path {state}/uwsgi;
    scgi_temp_path {state}/scgi;
    # Bodies stay in memory up to the service's own cap, which answers 413 with a message.
    client_max_body_size 64m;
    client_body_buffer_size 16m;
    proxy_max_temp_file_size 0;
    include {state}/upstream.conf;
    server {{
        listen {host}:{port};
        location / {{
            proxy_pass http://bento;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_read_timeout 60s;
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

    def write_config(self, upstream_port: int) -> None:
        """Write nginx.conf and the upstream pointing at ``upstream_port``; check them."""
        self.state.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "logs").mkdir(parents=True, exist_ok=True)
        (self.state / "upstream.conf").write_text(UPSTREAM_CONF.format(port=upstream_port))
        self.config.write_text(
            NGINX_CONF.format(
                state=self.state, logs=self.run_dir / "logs", host=self.host, port=self.port
            )
        )
        self._nginx("-t", "-q")

    def command(self) -> list[str]:
        """The foreground nginx command a supervisor runs."""
        return [
            nginx_binary(),
            "-c",
            str(self.config),
            "-e",
            str(self.run_dir / "logs" / "gateway-error.log"),
        ]

    def reload(self) -> None:
        """Graceful reload: new workers get the new upstream, old ones finish their requests."""
        self._nginx("-s", "reload")

    def _nginx(self, *args: str) -> None:
        done = subprocess.run([*self.command(), *args], capture_output=True, text=True, timeout=30)
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
