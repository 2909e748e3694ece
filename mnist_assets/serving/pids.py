"""Whether a process exists: shared by the service (its workers' folders) and the deploy."""

import os


def pid_exists(pid: int) -> bool:
    """Whether a process ``pid`` exists (a zombie included), whoever owns it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
