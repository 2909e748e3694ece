"""What a person sees while `make deploy` runs: one line per finished asset, check and epoch.

A thread follows the run's event log in the Dagster instance (the same events the UI shows)
and prints, as they arrive: each asset with its seconds and the figure that matters, the gate's
verdict, and the messages assets log (mnist_cnn logs one per epoch).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

import dagster as dg

POLL_SECONDS = 0.5


def _value(metadata: Mapping[str, Any], key: str) -> Any:
    entry = metadata.get(key)
    return getattr(entry, "value", entry)


def _splits(m: Mapping[str, Any]) -> str:
    sizes = [f"{_value(m, f'{name}_size'):,}" for name in ("train", "val", "test")]
    return "train / val / test: " + " / ".join(sizes)


# The figure that matters for each asset, from the metadata it recorded.
FIGURES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "raw_mnist": lambda m: f"{_value(m, 'count'):,} digits from {_value(m, 'source')}",
    "mnist_splits": _splits,
    "mnist_cnn": lambda m: (
        f"val accuracy {_value(m, 'val_accuracy'):.2%} (best epoch {_value(m, 'best_epoch')}), "
        f"{_value(m, 'images_per_second'):,} images/s, {_value(m, 'registered_model')}"
    ),
    "validation_report": lambda m: (
        f"test accuracy {_value(m, 'test_accuracy'):.2%}, champion {_value(m, 'champion')}"
    ),
    "mnist_champion": lambda m: (
        f"v{_value(m, 'champion_version')} is champion (was {_value(m, 'previous_version')})"
    ),
    "optimized_model": lambda m: (
        f"serves {_value(m, 'runtime')}, {_value(m, 'speedup_vs_eager'):.1f}x eager PyTorch"
    ),
    "mnist_bento": lambda m: (
        f"{_value(m, 'bento_tag')} ({'built' if _value(m, 'built') else 'reused'})"
    ),
    "mnist_service": lambda m: (
        f"{_value(m, 'bento_tag')} live in slot {_value(m, 'slot')} "
        f"(model v{_value(m, 'model_version')})"
    ),
}


class RunProgress:
    """Prints a run's progress from its event log while the run executes in this process."""

    def __init__(self, instance: dg.DagsterInstance, run_id: str, out: Any = sys.stdout) -> None:
        self.instance, self.run_id, self.out = instance, run_id, out
        self.cursor: str | None = None
        self.metadata: dict[str, Mapping[str, Any]] = {}  # the run's assets, as they finish
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)

    def __enter__(self) -> RunProgress:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._read()  # whatever arrived after the last poll

    def _follow(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._read()

    def _read(self) -> None:
        connection = self.instance.get_records_for_run(self.run_id, cursor=self.cursor)
        self.cursor = connection.cursor
        for record in connection.records:
            line = self._line(record.event_log_entry)
            if line:
                print(line, file=self.out, flush=True)

    def _line(self, entry: dg.EventLogEntry) -> str | None:
        event = entry.dagster_event
        if event is None:
            # A message an asset logged itself, e.g. one per training epoch.
            level = entry.level
            level = logging.getLevelName(level) if isinstance(level, str) else level
            return f"    {entry.user_message}" if level >= logging.INFO else None
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization  # type: ignore[union-attr]
            self.metadata[materialization.asset_key.to_user_string()] = materialization.metadata
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation: Any = event.event_specific_data
            verdict = "passed" if evaluation.passed else "FAILED"
            why = f": {evaluation.description}" if evaluation.description else ""
            return f"    check {evaluation.check_name} {verdict}{why}"
        elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
            name = event.step_key or ""
            if name not in self.metadata:
                return None  # a step of checks only: their lines came with their evaluations
            seconds = event.event_specific_data.duration_ms / 1000  # type: ignore[union-attr]
            return f"  {name:<18} {seconds:6.1f} s   {self._figure(name)}".rstrip()
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            return f"  {event.step_key:<18} FAILED"
        return None

    def _figure(self, name: str) -> str:
        figure = FIGURES.get(name)
        try:
            return figure(self.metadata[name]) if figure else ""
        except (KeyError, TypeError, ValueError):  # metadata of an older shape: no figure
            return ""
