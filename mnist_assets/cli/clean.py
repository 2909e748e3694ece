"""`mnist-assets clean` (what can be rebuilt) and `mnist-assets purge` (everything, asked first).

What users made and what the registries hold is kept by ``clean``: the labelled batches the
inbox accepted (their only copy), drift-review episodes, quarantined batches, the IDX folder
a user points the source at, the incoming folder, the MLflow store and the production
topology's folder (its Postgres holds runs and the production registry).
"""

import shutil
import sys
from pathlib import Path

from mnist_assets import env
from mnist_assets.deploy import engines
from mnist_assets.settings import settings


def _kept_data() -> set[Path]:
    """The folders under the data root that hold users' data, not derived asset data."""
    data = env.config_defaults("data")
    incoming, review = data["incoming"], env.config_defaults("monitoring")["review"]
    names = (incoming["folder"], incoming["accepted"], incoming["quarantine"], review["folder"])
    kept = {settings().data_root / name for name in names}
    kept.add(env.state_path(data["source"]["idx_dir"]))
    return kept


def _rebuildable() -> list[Path]:
    """Derived asset data, caches, BentoML's stores, the Dagster home, the deploy's run files."""
    kept, current = _kept_data(), settings()
    prod_dir = current.prod_run_dir
    paths: list[Path] = []
    if current.data_root.is_dir():
        for child in sorted(current.data_root.iterdir()):
            if child in kept or any(child in k.parents for k in kept):
                continue
            paths.append(child)
    if current.run_dir.is_dir():
        keep = {prod_dir, *prod_dir.parents}
        paths += [child for child in sorted(current.run_dir.iterdir()) if child not in keep]
    return [*paths, current.bentoml_home, current.dagster_home]


def _remove_images() -> None:
    """Every tag of the service image (``MNIST_IMAGE``), where a container engine works."""
    engine, _ = engines.detect()
    if engine is None:
        return
    listing = ["images", "--filter", f"reference={settings().image_name}"]
    refs = engine.run(*listing, "--format", "{{.Repository}}:{{.Tag}}", check=False).split()
    for ref in refs:
        engine.run("rmi", "-f", ref, check=False)
        print(f"removed image {ref}")


def _remove(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        print(f"removed {path}")


def clean() -> int:
    """Stop the deployment and remove what can be rebuilt; keep users' data and the registries."""
    from mnist_assets.cli.deploy import undeploy

    undeploy()
    _remove(_rebuildable())
    _remove_images()
    kept = sorted(str(p) for p in (*_kept_data(), settings().mlflow_root, settings().prod_run_dir))
    print("kept (make purge deletes these too): " + ", ".join(p for p in kept if Path(p).exists()))
    return 0


def purge(yes: bool) -> int:
    """Everything ``clean`` removes, then users' data and the registries; asks first."""
    prod_dir = settings().prod_run_dir
    doomed = [settings().data_root, settings().mlflow_root, settings().run_dir, prod_dir]
    listing = "\n".join(f"  {path}" for path in doomed if path.exists())
    print(f"make purge deletes, beyond what make clean does:\n{listing}")
    if not yes:
        if not sys.stdin.isatty():
            print("not confirmed: run `make purge CONFIRM=yes` to delete without the question")
            return 1
        if input("Delete labelled batches, review episodes and every registry? [y/N] ") != "y":
            print("nothing deleted")
            return 1
    from mnist_assets.cli.prod import prod_down

    prod_down(purge=True)
    clean()
    _remove(doomed)
    return 0
