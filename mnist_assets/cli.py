"""Command-line helpers behind `make train` and `make compare`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mnist_assets.env import mlflow_root, mlflow_tracking_uri

# `make train` variable -> field of the training section of the run config.
TRAIN_OVERRIDES = {
    "epochs": int,
    "learning_rate": float,
    "batch_size": int,
    "device": str,
    "precision": str,
    "seed": int,
}


def _run_config(args: argparse.Namespace) -> int:
    training = {
        name: cast(getattr(args, name))
        for name, cast in TRAIN_OVERRIDES.items()
        if getattr(args, name) not in (None, "")
    }
    print(json.dumps({"ops": {"mnist_cnn": {"config": {"training": training}}}}))
    return 0


def _compare(args: argparse.Namespace) -> int:
    from mlflow.tracking import MlflowClient

    from mnist_assets.experiments import compare_runs, plot_comparison

    client = MlflowClient(mlflow_tracking_uri())
    try:
        comparison = compare_runs(client, args.runs, args.last)
    except LookupError as exc:
        print(f"compare: {exc}", file=sys.stderr)
        return 1
    print(comparison.table())
    path = plot_comparison(client, comparison, Path(args.plot))
    print(f"\nplot: {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mnist-assets`` command."""
    parser = argparse.ArgumentParser(prog="mnist-assets")
    commands = parser.add_subparsers(dest="command", required=True)

    run_config = commands.add_parser("run-config", help="print mnist_cnn run config as JSON")
    for name in TRAIN_OVERRIDES:
        run_config.add_argument(f"--{name.replace('_', '-')}", dest=name)
    run_config.set_defaults(handler=_run_config)

    compare = commands.add_parser("compare", help="compare MLflow training runs side by side")
    compare.add_argument("runs", nargs="*", help="run ids (default: the latest finished runs)")
    compare.add_argument("--last", type=int, default=5, help="how many recent runs")
    compare.add_argument("--plot", default=str(mlflow_root() / "comparison.png"))
    compare.set_defaults(handler=_compare)

    from mnist_assets import deploy_cli

    deploy = commands.add_parser("deploy", help="materialise what is due, serve it, monitor it")
    deploy.add_argument("--run-config", help="JSON run config for the assets that run")
    deploy.add_argument("--target", choices=("local", "docker"), default="local")
    deploy.set_defaults(handler=lambda a: deploy_cli.deploy(a.run_config, a.target))
    for command, help_text in (
        (deploy_cli.undeploy, "stop what deploy started"),
        (deploy_cli.status, "show what the deployment serves"),
        (deploy_cli.rollback, "serve the previous release and move the champion alias back"),
        (deploy_cli.image, "build the container image of the champion's bento (needs Docker)"),
    ):
        commands.add_parser(command.__name__, help=help_text).set_defaults(
            handler=lambda a, command=command: command()
        )

    from mnist_assets import prod_cli

    up = commands.add_parser("prod-up", help="start Dagster's production topology on Postgres")
    up.set_defaults(handler=lambda a: prod_cli.prod_up())
    down = commands.add_parser("prod-down", help="stop the production topology")
    down.add_argument("--purge", action="store_true", help="also delete its Postgres cluster")
    down.set_defaults(handler=lambda a: prod_cli.prod_down(a.purge))
    status = commands.add_parser("prod-status", help="show which production processes run")
    status.set_defaults(handler=lambda a: prod_cli.prod_status())

    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
