"""The data domain's resource: which MNIST source ``raw_mnist`` reads."""

from typing import Literal

import dagster as dg

from mnist_assets.env import config_defaults, project_path, source_kind
from mnist_assets.ml.sources import (
    BundledSource,
    IdxDirectorySource,
    MnistSource,
    TorchvisionSource,
)

_SOURCE_DEFAULTS = config_defaults("data")["source"]


class MnistSourceResource(dg.ConfigurableResource):
    """Picks the raw MNIST source; relative paths are taken from the project root."""

    kind: Literal["bundled", "torchvision", "idx"] = "bundled"
    torchvision_root: str = _SOURCE_DEFAULTS["torchvision_root"]
    mirror: str | None = _SOURCE_DEFAULTS["mirror"]
    idx_dir: str = _SOURCE_DEFAULTS["idx_dir"]

    @classmethod
    def from_environment(cls) -> "MnistSourceResource":
        """The source the environment asks for (``MNIST_SOURCE``, else configs/data.yaml)."""
        return cls(kind=source_kind())  # type: ignore[arg-type]

    def source(self) -> MnistSource:
        if self.kind == "torchvision":
            return TorchvisionSource(root=project_path(self.torchvision_root), mirror=self.mirror)
        if self.kind == "idx":
            return IdxDirectorySource(directory=project_path(self.idx_dir))
        return BundledSource()
