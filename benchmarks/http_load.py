"""A small closed-loop HTTP load generator on loopback: N clients, each one request at a time."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp


@dataclass(frozen=True)
class LoadResult:
    """What a load run measured."""

    clients: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else 0.0

    def row(self, name: str) -> str:
        return (
            f"{name:<34} {self.clients:>3} clients {self.rps:>8.0f} req/s  "
            f"p50 {self.percentile(50):6.2f} ms  p95 {self.percentile(95):6.2f} ms  "
            f"p99 {self.percentile(99):6.2f} ms  errors {self.errors}"
        )


async def _client(
    session: aiohttp.ClientSession, url: str, body: bytes, deadline: float, out: list, errors: list
) -> None:
    headers = {"content-type": "application/json"}
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        try:
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                ok = response.status == 200
        except aiohttp.ClientError:
            ok = False
        if ok:
            out.append((time.perf_counter() - start) * 1000)
        else:
            errors.append(1)


async def _run(
    url: str, body: bytes, clients: int, seconds: float, new_connections: bool
) -> LoadResult:
    latencies: list[float] = []
    errors: list[int] = []
    connector = aiohttp.TCPConnector(limit=clients, force_close=new_connections)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        # Warm-up: connections open, first-call costs paid.
        await asyncio.gather(
            *(_client(session, url, body, time.perf_counter() + 1, [], []) for _ in range(clients))
        )
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(
            *(_client(session, url, body, deadline, latencies, errors) for _ in range(clients))
        )
        elapsed = time.perf_counter() - start
    return LoadResult(clients, len(latencies), len(errors), elapsed, latencies)


def run_load(
    url: str, body: bytes, clients: int, seconds: float = 5.0, new_connections: bool = False
) -> LoadResult:
    """Send ``body`` to ``url`` from ``clients`` concurrent clients for ``seconds``.

    ``new_connections``: one connection per request instead of kept-alive ones. A server whose
    worker processes share a listening socket keeps a kept-alive connection on the worker that
    accepted it, so a few long-lived clients may all land on one worker.
    """
    return asyncio.run(_run(url, body, clients, seconds, new_connections))
