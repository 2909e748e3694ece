"""A Postgres cluster of the project's own, from Debian's postgresql package, run in the foreground.

Postgres refuses to run as root; as root, the cluster belongs to the ``postgres`` user and its
data lives under the system temp folder (which that user can reach), one folder per run dir.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

USER = "mnist"  # the cluster's superuser; loopback connections are trusted (see init)


class PostgresError(RuntimeError):
    """Postgres is missing, or its cluster could not be set up."""


def bin_dir() -> Path:
    """Where initdb and postgres live (Debian keeps them out of PATH)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if not versions:
        raise PostgresError(
            "Postgres not found: install it (Debian/Ubuntu: apt-get install postgresql; "
            "macOS: brew install postgresql)"
        )
    return Path(versions[-1])


@dataclass(frozen=True)
class Postgres:
    """The cluster of one run folder, listening on ``host:port``."""

    run_dir: Path  # the topology's run folder; the data folder derives from it
    host: str
    port: int

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    @property
    def data_dir(self) -> Path:
        if not self.as_root:
            return self.run_dir / "postgres"
        digest = hashlib.sha256(str(self.run_dir.resolve()).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"mnist-assets-postgres-{digest}"

    def _as_owner(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if self.as_root else command

    def init(self) -> None:
        """Create the cluster once (trust auth: it only listens on this machine's loopback)."""
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.data_dir, "postgres", "postgres")
        command = [str(bin_dir() / "initdb"), "-D", str(self.data_dir), "-U", USER]
        command += ["--auth=trust", "--encoding=UTF8", "--no-instructions"]
        done = subprocess.run(self._as_owner(command), capture_output=True, text=True)
        if done.returncode != 0:
            raise PostgresError(f"initdb failed: {done.stderr.strip()}")

    def command(self) -> list[str]:
        """The foreground server a supervisor runs (socket file in the data folder)."""
        server = [str(bin_dir() / "postgres"), "-D", str(self.data_dir)]
        server += ["-h", self.host, "-p", str(self.port), "-k", str(self.data_dir)]
        return self._as_owner(server)

    def url(self, database: str, driver: str = "") -> str:
        """A connection URL; ``driver`` picks SQLAlchemy's (MLflow's) DB-API module."""
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return f"{scheme}://{USER}@{self.host}:{self.port}/{database}"

    def ready(self) -> bool:
        try:
            import psycopg2

            psycopg2.connect(self.url("postgres"), connect_timeout=2).close()
        except Exception:  # any failure to connect means: not ready yet
            return False
        return True

    def ensure_database(self, name: str) -> None:
        """Create database ``name`` unless it exists."""
        import psycopg2

        connection = psycopg2.connect(self.url("postgres"))
        connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
