"""The ``mnist-assets`` command: every make target that is more than one line of shell.

Each subcommand imports what it needs when it runs, so ``mnist-assets run-config`` stays quick
and Dagster and BentoML read their homes only after :func:`env.prepare_tool_homes` set them.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import yaml

from mnist_assets import env
from mnist_assets.settings import SettingError, settings

# `make train` variables -> fields of the training section of mnist_cnn's run config.
TRAIN_OVERRIDES = ("epochs", "learning_rate", "batch_size", "device", "precision", "seed")


def _run_config(args: argparse.Namespace) -> int:
    # YAML scalars: "5" -> 5, "0.01" -> 0.01, "cuda" -> "cuda"; the run config checks the types.
    training = {
        name: yaml.safe_load(getattr(args, name))
        for name in TRAIN_OVERRIDES
        if getattr(args, name) not in (None, "")
    }
    print(json.dumps({"ops": {"mnist_cnn": {"config": {"training": training}}}}))
    return 0


def _compare(args: argparse.Namespace) -> int:
    from mlflow.tracking import MlflowClient

    from mnist_assets.cli.compare import compare_runs, plot_comparison

    client = MlflowClient(settings().mlflow_tracking_uri)
    try:
        comparison = compare_runs(client, args.runs, args.last)
    except LookupError as exc:
        print(f"compare: {exc}", file=sys.stderr)
        return 1
    print(comparison.table())
    path = plot_comparison(client, comparison, Path(args.plot))
    print(f"\nplot: {path}")
    return 0


def _lazy(module: str, function: str, *arguments: str) -> Callable[[argparse.Namespace], int]:
    """A handler that imports ``mnist_assets.cli.<module>`` only when its command runs."""

    def handler(args: argparse.Namespace) -> int:
        import importlib

        command = getattr(importlib.import_module(f"mnist_assets.cli.{module}"), function)
        return int(command(*(getattr(args, name) for name in arguments)))

    return handler


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mnist-assets")
    commands = parser.add_subparsers(dest="command", required=True)

    run_config = commands.add_parser("run-config", help="print mnist_cnn run config as JSON")
    for name in TRAIN_OVERRIDES:
        run_config.add_argument(f"--{name.replace('_', '-')}", dest=name)
    run_config.set_defaults(handler=_run_config)

    compare = commands.add_parser("compare", help="compare MLflow training runs side by side")
    compare.add_argument("runs", nargs="*", help="run ids (default: the latest finished runs)")
    compare.add_argument("--last", type=int, default=5, help="how many recent runs")
    compare.add_argument("--plot", default=str(settings().mlflow_root / "comparison.png"))
    compare.set_defaults(handler=_compare)

    deploy = commands.add_parser("deploy", help="materialise what is due, serve it, monitor it")
    deploy.add_argument(
        "--run-config",
        metavar="FILE",
        help="path of a JSON file with Dagster run config for the assets that run",
    )
    deploy.add_argument(
        "--target",
        choices=("auto", "container", "local"),
        default="auto",  # what `make deploy` passes
        help="run the bento as a container when an engine works (auto, the default), always as "
        "a container, or as processes (local)",
    )
    deploy.set_defaults(handler=_lazy("deploy", "deploy", "run_config", "target"))
    up = commands.add_parser("prod-up", help="start Dagster's production topology on Postgres")
    up.add_argument(
        "--target",
        choices=("auto", "container", "local"),
        default="auto",
        help="containers from docker-compose.prod.yml when an engine and compose work (auto, "
        "the default), always containers, or processes of this machine (local)",
    )
    up.set_defaults(handler=_lazy("prod", "prod_up", "target"))
    down = commands.add_parser("prod-down", help="stop the production topology")
    down.add_argument("--purge", action="store_true", help="also delete its Postgres cluster")
    down.set_defaults(handler=_lazy("prod", "prod_down", "purge"))
    check = commands.add_parser(
        "validate", help="the gate's verdict on a registered version vs the champion, no promotion"
    )
    check.add_argument("--version", required=True, help="registered version number, e.g. 3")
    check.set_defaults(handler=_lazy("validate", "validate_version", "version"))
    purge = commands.add_parser(
        "purge", help="delete everything clean does, and labelled data and the registries"
    )
    purge.add_argument("--yes", action="store_true", help="do not ask before deleting")
    purge.set_defaults(handler=_lazy("clean", "purge", "yes"))
    for name, module, function, help_text in (
        ("clean", "clean", "clean", "stop the deployment, remove what can be rebuilt"),
        ("undeploy", "deploy", "undeploy", "stop what deploy started"),
        ("status", "deploy", "status", "show what the deployment serves"),
        ("rollback", "deploy", "rollback", "serve the previous release, move the alias back"),
        ("image", "deploy", "image", "build the container image of the champion's bento"),
        ("dagster-ui", "ui", "dagster_ui", "the Dagster UI and daemon (dagster dev)"),
        ("mlflow-ui", "ui", "mlflow_ui", "the MLflow tracking server and UI, local store"),
        ("review", "review", "review", "the labelling page over the drift episodes"),
        ("prod-status", "prod", "prod_status", "show which production processes run"),
        ("images", "prod", "images", "build the production compose file's images"),
    ):
        commands.add_parser(name, help=help_text).set_defaults(handler=_lazy(module, function))
    return parser


def _quiet_libraries() -> None:
    """Keep the libraries' notices out of a command's output; errors stay loud.

    Dagster marks APIs this project relies on as beta or preview; the libraries warn about each
    other's deprecations; Alembic logs every store migration at INFO (MLflow's own logs are
    quieted by mnist_assets.env).
    """
    import dagster as dg

    for notice in (dg.BetaWarning, dg.PreviewWarning):
        warnings.filterwarnings("ignore", category=notice)
    for library_warning in (DeprecationWarning, FutureWarning, UserWarning):
        warnings.filterwarnings("ignore", category=library_warning, module=r"(?!mnist_assets)")
    for name in ("alembic", "bentoml"):
        logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mnist-assets`` command."""
    try:
        settings()
    except SettingError as exc:  # a variable of the wrong type: say which, not a traceback
        print(f"mnist-assets: {exc}", file=sys.stderr)
        return 2
    args = _parser().parse_args(argv)
    env.prepare_tool_homes()
    if args.command not in ("run-config", "dagster-ui", "mlflow-ui"):
        _quiet_libraries()
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
