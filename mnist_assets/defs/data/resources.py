"""Resources of the data domain: which MNIST source to read, and where datasets are stored."""

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import dagster as dg

from mnist_assets.env import config_defaults, project_path, source_kind
from mnist_assets.ml.dataset import MnistArrays
from mnist_assets.ml.sources import (
    BundledSource,
    IdxDirectorySource,
    MnistSource,
    TorchvisionSource,
)
from mnist_assets.ml.splits import MnistSplits

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


# Each stored type reads itself back from the folder it saved itself into.
_LOADERS: dict[type, Callable[[Path], MnistArrays | MnistSplits]] = {
    MnistArrays: MnistArrays.load,
    MnistSplits: MnistSplits.load,
}


class DatasetIOManager(dg.ConfigurableIOManager):
    """Stores each dataset asset as ``.npy`` files in ``<root>/<asset name>/``."""

    root: str

    def _path(self, key: dg.AssetKey) -> Path:
        return project_path(self.root).joinpath(*key.path)

    def handle_output(self, context: dg.OutputContext, obj: MnistArrays | MnistSplits) -> None:
        path = self._path(context.asset_key)
        obj.save(path)
        context.add_output_metadata({"path": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> MnistArrays | MnistSplits:
        wanted = context.dagster_type.typing_type
        if wanted not in _LOADERS:
            raise TypeError(f"{context.asset_key.to_user_string()} cannot be loaded as {wanted}")
        return _LOADERS[wanted](self._path(context.asset_key))
