"""Keep the garbage collector's full collections from pausing requests.

Every request leaves objects alive for a few seconds after it ends (the OpenTelemetry span
BentoML records, held by the context of the keep-alive timer uvicorn schedules, about 20
objects). At a thousand requests a second that is a standing crowd of ~100,000 objects, which
CPython's full collections walk every couple of seconds: a pause of about 100 ms on the
worker, every request it holds waiting (one worker, 32 connections: p99 137 ms with the
collector on, 30 ms with it off).

Freezing moves every object alive at that moment out of the collector's sight
(``gc.freeze``); frozen objects are still freed by reference counting as usual, so the
crowd still leaves, unwalked. Each freeze follows a collection of the young generations,
so little garbage is frozen with it, and a full collection of everything, frozen objects
included, runs once in a long while to reclaim whatever garbage froze.
"""

import gc


class FrozenHeap:
    """Call :meth:`tick` once per request."""

    def __init__(self, freeze_every: int = 1_000, full_every: int = 100_000) -> None:
        self.freeze_every, self.full_every = freeze_every, full_every
        self.requests = 0

    def tick(self) -> None:
        self.requests += 1
        if self.requests % self.full_every == 0:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
        elif self.requests % self.freeze_every == 0:
            gc.collect(1)
            gc.freeze()
