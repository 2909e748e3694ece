"""New labelled data: batches dropped in the incoming folder join raw_mnist and retrain."""

import hashlib
from pathlib import Path

import dagster as dg

from mnist_assets.constants import BATCHES_TAG, DIGEST_SHOWN, TRAINING_RUN_TAG
from mnist_assets.defs.automation.jobs import new_data_job
from mnist_assets.defs.data.resources import MnistSourceResource
from mnist_assets.env import automation_run_config, config_defaults
from mnist_assets.ml.data.splits import image_hashes
from mnist_assets.ml.ingestion.batches import BatchLimits
from mnist_assets.ml.ingestion.inbox import Inbox
from mnist_assets.settings import settings

_INCOMING = config_defaults("data")["incoming"]
_INTERVAL = config_defaults("automation")["sensors"]["new_data_interval_seconds"]


class IncomingFolder(dg.ConfigurableResource):
    """Where users drop labelled batches, where rejected ones go, and how big one may be."""

    folder: str
    quarantine: str
    max_images: int = _INCOMING["max_images"]
    max_bytes: int = _INCOMING["max_bytes"]

    @classmethod
    def from_environment(cls) -> "IncomingFolder":
        root = settings().data_root
        return cls(
            folder=str(root / _INCOMING["folder"]), quarantine=str(root / _INCOMING["quarantine"])
        )

    def inbox(self, mnist_source: MnistSourceResource) -> Inbox:
        store = mnist_source.batch_store()
        if store is None:
            raise dg.Failure("mnist_source has no accepted_dir: accepted batches cannot be kept")
        limits = BatchLimits(max_images=self.max_images, max_bytes=self.max_bytes)
        return Inbox(Path(self.folder), Path(self.quarantine), store, limits)


@dg.sensor(
    job=new_data_job,
    minimum_interval_seconds=_INTERVAL,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Files labelled batches from the incoming folder and retrains on the new data",
)
def new_data_sensor(
    context: dg.SensorEvaluationContext,
    incoming: IncomingFolder,
    mnist_source: MnistSourceResource,
) -> dg.SensorResult | dg.SkipReason:
    """Accept or quarantine each waiting batch, then request one run for what was accepted.

    The cursor is the last accepted batch already requested, so a batch accepted just before a
    restart is still requested after it; the run key (the batches' content hash) lets Dagster
    drop a request it has already launched.
    """
    inbox = incoming.inbox(mnist_source)
    pending = inbox.pending()
    rejected, unstored = [], []
    if pending:
        known = set(image_hashes(mnist_source.source().load().images))
        for path in pending:
            try:
                admission = inbox.admit(path, known)
            except OSError as exc:  # the store could not take it (a full disk): try again later
                context.log.error(f"could not store {path.name}, left in the inbox: {exc}")
                unstored.append(path.name)
                continue
            if admission.accepted and admission.batch is None:
                context.log.info(f"{admission.name} was already accepted as {admission.detail}")
            elif admission.accepted:
                context.log.info(f"accepted {admission.name} as {admission.detail}")
            else:
                context.log.warning(f"quarantined {admission.name}: {admission.detail}")
                rejected.append(admission.name)
    new = [path for path in inbox.store.batches() if path.name > (context.cursor or "")]
    if not new:
        quarantined = f"; quarantined {', '.join(rejected)}" if rejected else ""
        waiting = f"; could not store {', '.join(unstored)} (see the log)" if unstored else ""
        return dg.SkipReason(f"no new labelled batches in {inbox.incoming}{quarantined}{waiting}")
    digests = [path.stem.split("-", 1)[1] for path in new]
    tags = {
        TRAINING_RUN_TAG: "new_data",
        "mnist/new_batches": str(len(new)),
        # Which batches, by content hash: the labelling page finds the run its batch started.
        BATCHES_TAG: " ".join(digest[:DIGEST_SHOWN] for digest in digests),
    }
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=_run_key(digests), run_config=automation_run_config(), tags=tags)
        ],
        cursor=new[-1].name,
    )


def _run_key(digests: list[str]) -> str:
    """One batch: its content hash; several at once: the hash of their hashes."""
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("+".join(digests).encode()).hexdigest()
