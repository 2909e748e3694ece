"""A process's output into a log file with a size cap: ``python -m mnist_assets.deploy.log_pipe``.

The supervisor starts one beside each background process and gives it the process's output on
a pipe. Lines go through the standard library's ``RotatingFileHandler``: at ``max_bytes`` the
file becomes ``.1`` (the older ``.2``, ...), ``backups`` of them are kept, and the log of a
server under load never fills the disk. It ends when every writer has closed the pipe.
"""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler

BACKUPS = 2  # rotated files kept beside the current one


def main(path: str, max_bytes: int, backups: int = BACKUPS) -> None:
    """Copy standard input into ``path`` line by line, rotating it at ``max_bytes``."""
    handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("log_pipe")
    log.propagate = False
    log.addHandler(handler)
    for line in sys.stdin.buffer:
        log.warning(line.decode(errors="replace").rstrip("\n"))
    handler.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
