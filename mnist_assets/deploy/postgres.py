"""A Postgres cluster of the project's own, from Debian's postgresql package, run in the foreground.

Its data lives in the topology's run folder (under the state folder), so a reboot or a temp
cleaner never empties it. Connections need a password (scram-sha-256): one is generated at the
first start and kept beside the data, mode 0600. Postgres refuses to run as root; as root, the
cluster belongs to the ``postgres`` user, which must be able to reach the run folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

USER = "mnist"  # the cluster's superuser, with the generated password of PASSWORD_FILE
PASSWORD_FILE = "postgres-password"


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
        return self.run_dir / "postgres"

    @property
    def password_file(self) -> Path:
        return self.run_dir / PASSWORD_FILE

    def password(self) -> str:
        """The superuser's password, generated (mode 0600) the first time it is asked for."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            descriptor = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(24) + "\n")
        return self.password_file.read_text().strip()

    def _as_owner(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if self.as_root else command

    def _check_reachable(self) -> None:
        """As root: the postgres user must be able to enter every folder above the data."""
        for folder in self.data_dir.resolve().parents:
            mode = folder.stat().st_mode
            if not mode & stat.S_IXOTH:
                raise PostgresError(
                    f"the postgres user cannot reach {self.data_dir}: {folder} is mode "
                    f"{stat.S_IMODE(mode):o}; run `chmod o+x {folder}` or set MNIST_PROD_RUN_DIR "
                    "(or MNIST_STATE_DIR) to a folder it can reach"
                )

    def init(self) -> None:
        """Create the cluster once: password authentication only, the password from its file."""
        if (self.data_dir / "PG_VERSION").exists():
            return
        password = self.password()
        if self.as_root:
            self._check_reachable()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        if self.as_root:
            shutil.chown(self.data_dir, "postgres", "postgres")
        # initdb reads the password from a file its owner can read, deleted right after.
        pwfile = self.data_dir.parent / f".{PASSWORD_FILE}.initdb"
        descriptor = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(password + "\n")
        try:
            if self.as_root:
                shutil.chown(pwfile, "postgres", "postgres")
            command = [str(bin_dir() / "initdb"), "-D", str(self.data_dir), "-U", USER]
            command += ["--auth=scram-sha-256", f"--pwfile={pwfile}"]
            command += ["--encoding=UTF8", "--no-instructions"]
            done = subprocess.run(self._as_owner(command), capture_output=True, text=True)
        finally:
            pwfile.unlink()
        if done.returncode != 0:
            shutil.rmtree(self.data_dir, ignore_errors=True)  # a half-made cluster is no cluster
            raise PostgresError(f"initdb failed: {done.stderr.strip()}")

    def command(self) -> list[str]:
        """The foreground server a supervisor runs (socket file in the data folder)."""
        server = [str(bin_dir() / "postgres"), "-D", str(self.data_dir)]
        server += ["-h", self.host, "-p", str(self.port), "-k", str(self.data_dir)]
        return self._as_owner(server)

    def url(self, database: str, driver: str = "") -> str:
        """A connection URL; ``driver`` picks SQLAlchemy's (MLflow's) DB-API module."""
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return f"{scheme}://{USER}:{self.password()}@{self.host}:{self.port}/{database}"

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
