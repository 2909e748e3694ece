"""Where a sent episode's batch is now: waiting, quarantined, accepted, and the run it started."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from mnist_assets.constants import BATCHES_TAG, DIGEST_SHOWN, TRAINING_RUN_TAG
from mnist_assets.env import config_defaults
from mnist_assets.ml.ingestion.batch_store import BatchStore
from mnist_assets.ml.ingestion.inbox import REASON_SUFFIX
from mnist_assets.review.episode import Sent
from mnist_assets.settings import settings

RECENT_RUNS = 50  # new-data runs searched for the batch, newest first


@dataclass(frozen=True)
class Progress:
    """What became of a sent batch, in words, and its retraining run once requested."""

    state: str  # waiting, quarantined, accepted
    detail: str
    run_id: str | None = None
    run_status: str | None = None
    run_url: str | None = None


@dataclass(frozen=True)
class BatchFolders:
    """The incoming folder, the quarantine and the accepted batches, under one data root."""

    incoming: Path
    quarantine: Path
    accepted: Path

    @classmethod
    def from_environment(cls) -> BatchFolders:
        folders, root = config_defaults("data")["incoming"], settings().data_root
        return cls(
            root / folders["folder"], root / folders["quarantine"], root / folders["accepted"]
        )

    def progress(self, sent: Sent, instance: dg.DagsterInstance | None) -> Progress:
        """Where ``sent`` is: the new-data sensor's verdict, then its run."""
        if BatchStore(self.accepted).find(sent.digest) is not None:
            run = _run_for(instance, sent.digest) if instance else None
            if run is None:
                return Progress("accepted", "accepted; its retraining run is not requested yet")
            url = f"{settings().dagster_ui_url}/runs/{run.run_id}"
            return Progress("accepted", "accepted", run.run_id, run.status.value, url)
        for reason in sorted(self.quarantine.glob(f"*-{sent.batch}{REASON_SUFFIX}")):
            return Progress("quarantined", reason.read_text().strip())
        return Progress("waiting", f"in {self.incoming}, waiting for the new-data sensor")


def _run_for(instance: dg.DagsterInstance, digest: str) -> dg.DagsterRun | None:
    """The newest new-data run whose batches include ``digest``."""
    runs = instance.get_runs(
        filters=dg.RunsFilter(tags={TRAINING_RUN_TAG: "new_data"}), limit=RECENT_RUNS
    )
    shown = digest[:DIGEST_SHOWN]
    return next((r for r in runs if shown in r.tags.get(BATCHES_TAG, "").split()), None)
