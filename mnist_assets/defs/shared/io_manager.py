"""Stores each asset's value in its own folder, in the value's own open format."""

from pathlib import Path
from typing import Protocol, runtime_checkable

import dagster as dg

from mnist_assets.env import state_path


@runtime_checkable
class FolderValue(Protocol):
    """A value that writes itself into a folder and has a ``load(folder)`` classmethod."""

    def save(self, directory: Path) -> None: ...


class FolderIOManager(dg.ConfigurableIOManager):
    """``<root>/<asset name>/`` per asset; datasets as ``.npy``, models as checkpoints."""

    root: str

    def _path(self, key: dg.AssetKey) -> Path:
        return state_path(self.root).joinpath(*key.path)

    def handle_output(self, context: dg.OutputContext, obj: FolderValue) -> None:
        path = self._path(context.asset_key)
        obj.save(path)
        context.add_output_metadata({"path": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> FolderValue:
        wanted = context.dagster_type.typing_type
        if not (isinstance(wanted, type) and hasattr(wanted, "load")):
            key = context.asset_key.to_user_string()
            raise TypeError(f"{key} cannot be loaded as {wanted}: it has no load(folder)")
        value: FolderValue = wanted.load(self._path(context.asset_key))
        return value
