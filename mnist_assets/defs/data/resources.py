"""The data domain's resource: which MNIST source ``raw_mnist`` reads."""

from typing import Literal

import dagster as dg

from mnist_assets.env import config_defaults, source_kind, state_path
from mnist_assets.ml.data.sources import (
    BundledSource,
    IdxDirectorySource,
    MnistSource,
    TorchvisionSource,
)
from mnist_assets.ml.ingestion.batch_store import BatchStore, WithAcceptedBatches
from mnist_assets.settings import settings

_SOURCE_DEFAULTS = config_defaults("data")["source"]
_ACCEPTED = config_defaults("data")["incoming"]["accepted"]


class MnistSourceResource(dg.ConfigurableResource):
    """Picks the raw MNIST source; relative paths are taken from the state folder.

    ``accepted_dir`` holds the labelled batches accepted since (appended after the source's
    examples); empty means none.
    """

    kind: Literal["bundled", "torchvision", "idx"] = "bundled"
    torchvision_root: str = _SOURCE_DEFAULTS["torchvision_root"]
    mirror: str | None = _SOURCE_DEFAULTS["mirror"]
    idx_dir: str = _SOURCE_DEFAULTS["idx_dir"]
    accepted_dir: str = ""

    @classmethod
    def from_environment(cls) -> "MnistSourceResource":
        """The source the environment asks for (``MNIST_SOURCE``, else configs/data.yaml)."""
        return cls(
            kind=source_kind(),  # type: ignore[arg-type]
            accepted_dir=str(settings().data_root / _ACCEPTED),
        )

    def batch_store(self) -> BatchStore | None:
        return BatchStore(state_path(self.accepted_dir)) if self.accepted_dir else None

    def source(self) -> MnistSource:
        base: MnistSource
        if self.kind == "torchvision":
            base = TorchvisionSource(root=state_path(self.torchvision_root), mirror=self.mirror)
        elif self.kind == "idx":
            base = IdxDirectorySource(directory=state_path(self.idx_dir))
        else:
            base = BundledSource()
        store = self.batch_store()
        return base if store is None else WithAcceptedBatches(base, store)
