"""Image decoding off the event loop, in one low-priority thread per worker.

A batch of PNG uploads costs up to a few hundred milliseconds of decoding; done on the event
loop it would hold every other request of the worker (``/readyz`` and JSON predictions too)
until it finished. Here it waits its turn in a single thread whose Linux nice value lets the
event loop's short requests take the core first, so uploads slow down under load, not the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

DECODE_NICE = 10  # below the event loop's 0: Linux schedules threads by their own nice value

T = TypeVar("T")


def _lower_priority() -> None:
    # Where it is not allowed, decoding still runs off the loop, at the loop's priority.
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), DECODE_NICE)


# One thread: uploads queue behind each other instead of taking every core of the machine.
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decode", initializer=_lower_priority)


async def off_loop(function: Callable[..., T], *args: object) -> T:
    """``function(*args)`` in the decode thread, awaited without blocking the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, function, *args)
