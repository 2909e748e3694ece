"""What the local deployment serves, and what it served before (for rollback)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mnist_assets.deploy.files import write_atomically


@dataclass(frozen=True)
class Release:
    """One bento that went live: its tag, model version, slot, port, what ran it, and when."""

    bento: str
    model_version: str
    slot: str
    port: int
    since: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    runner: str = "processes"  # or the container engine: "docker", "podman"


@dataclass
class DeployState:
    """The live release, the releases it replaced (newest last), and what runs new ones."""

    live: Release | None = None
    history: list[Release] = field(default_factory=list)
    target: str = "processes"  # the runner of the next release (see deploy.slots)

    @classmethod
    def load(cls, path: Path) -> DeployState:
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text())
        live = Release(**raw["live"]) if raw.get("live") else None
        history = [Release(**r) for r in raw.get("history", [])]
        return cls(live=live, history=history, target=raw.get("target", "processes"))

    def save(self, path: Path) -> None:
        """Write atomically: a crash mid-write leaves the previous state, never half a file."""
        write_atomically(path, json.dumps(asdict(self), indent=2) + "\n")

    def go_live(self, release: Release) -> None:
        """``release`` serves now; the one it replaces joins the history."""
        if self.live is not None and self.live.bento != release.bento:
            self.history.append(self.live)
        self.live = release

    def roll_back(self, release: Release) -> None:
        """``release``, taken from the history, serves again; the one it replaces is dropped."""
        self.history = [r for r in self.history if r.bento != release.bento]
        self.live = release
