"""Run config derived from the plain dataclasses of ``ml/``, defaults from mnist_assets/configs.

Each setting has one owner: the dataclass names the field, its type and why it exists; the YAML
file gives its default. The Dagster ``Config`` built here copies neither by hand, so the
Launchpad always offers exactly the dataclass's fields (``Literal`` types as choices) with the
YAML defaults filled in.

Use the result as the base of a named class (``class ValidationConfig(dagster_config(...))``):
type checkers cannot follow a base made at import time, hence ``# type: ignore[misc]`` there.
"""

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any

import dagster as dg
import pydantic


def _config_type(hint: Any) -> Any:
    """Dagster's config has lists, not tuples: ``tuple[int, ...]`` becomes ``list[int]``."""
    if typing.get_origin(hint) is tuple:
        return list[typing.get_args(hint)[0]]  # type: ignore[misc]
    return hint


def dagster_config(source: type, defaults: Mapping[str, Any]) -> type[dg.Config]:
    """A Dagster ``Config`` with the fields of dataclass ``source`` and ``defaults`` as defaults.

    Every key of ``defaults`` must be a field of ``source`` (a typo in a YAML file fails at
    import); fields without a default there (such as derived constants) are left out.
    """
    hints = typing.get_type_hints(source)
    names = [field.name for field in dataclasses.fields(source)]
    unknown = sorted(set(defaults) - set(names))
    if unknown:
        raise ValueError(f"{unknown} are not fields of {source.__name__}")
    fields: dict[str, Any] = {
        field: (_config_type(hints[field]), defaults[field]) for field in names if field in defaults
    }
    return pydantic.create_model(f"{source.__name__}Fields", __base__=dg.Config, **fields)
