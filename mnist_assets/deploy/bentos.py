"""Build (or reuse) the bento that serves one stored model, and find the bento of a model.

Build-time code: it never ships inside a bento. The build context is laid out afresh from the
bentofile's ``include`` patterns, read from the checkout or from the installed package alike.
"""

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import bentoml
import yaml

from mnist_assets.constants import BENTO_SERVICE_NAME
from mnist_assets.env import shipped_dir
from mnist_assets.settings import PACKAGE_DIR, settings

MODEL_LABEL = "bento_model"  # the bento label naming the stored model it serves
SOURCE_LABEL = "source_sha256"  # the bento label fingerprinting the code it packs


def bentofile() -> Path:
    """The bentofile.yaml of the service (checkout or installed copy)."""
    return shipped_dir() / "bentos" / "bentofile.yaml"


def lay_out_context(target: Path) -> Path:
    """Copy the bentofile and the files it includes into ``target``; returns the bentofile.

    ``bentos/...`` patterns come from the bento's own folder, ``mnist_assets/...`` ones from the
    package that is running, so an installed package builds the same bento as a checkout.
    """
    source = bentofile()
    roots = {"bentos": source.parent, PACKAGE_DIR.name: PACKAGE_DIR}
    for pattern in yaml.safe_load(source.read_text()).get("include", []):
        top, rest = pattern.split("/", 1)
        for path in roots[top].glob(rest):
            if path.is_file() and "__pycache__" not in path.parts:
                copy = target / top / path.relative_to(roots[top])
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copy)
    shutil.copy2(source, target / "bentofile.yaml")
    return target / "bentofile.yaml"


def source_fingerprint(context: Path) -> str:
    """Sha256 over every file of a laid-out context, so changed code means a new bento."""
    digest = hashlib.sha256()
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(context)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def service_fingerprint() -> str:
    """The fingerprint of the code a bento built now would pack (see source_fingerprint)."""
    with tempfile.TemporaryDirectory(prefix="mnist-bento-") as tmp:
        lay_out_context(Path(tmp))
        return source_fingerprint(Path(tmp))


def bento_size_bytes(bento: bentoml.Bento) -> int:
    """Bytes on disk of the bento's own files (code, environment; models are stored apart)."""
    return sum(p.stat().st_size for p in Path(bento.path).rglob("*") if p.is_file())


def build_bento(model_tag: str, labels: dict[str, str]) -> tuple[bentoml.Bento, bool]:
    """The bento serving ``model_tag``: an existing one built from the same code, else a new one.

    Returns the bento and whether it was built now.
    """
    with tempfile.TemporaryDirectory(prefix="mnist-bento-") as tmp:
        context = Path(tmp)
        file = lay_out_context(context)
        fingerprint = source_fingerprint(context)
        for bento in stored_bentos():
            built_from = bento.info.labels.get(MODEL_LABEL), bento.info.labels.get(SOURCE_LABEL)
            if built_from == (model_tag, fingerprint):
                return bento, False
        all_labels = {**labels, MODEL_LABEL: model_tag, SOURCE_LABEL: fingerprint}
        # `bentoml build` in a child process: the build argument travels inside the bento (so
        # serving it later loads this model, not the newest one), while BentoML keeps build
        # arguments process-wide, where a long-lived process would carry them on.
        command = [str(Path(sys.executable).parent / "bentoml"), "build", "-f", str(file)]
        command += ["--arg", f"model_tag={model_tag}", "--output", "tag", "--quiet"]
        for key, value in all_labels.items():
            command += ["--label", f"{key}={value}"]
        done = subprocess.run([*command, str(context)], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"bentoml build failed:\n{done.stderr.strip() or done.stdout}")
    tag = done.stdout.strip().splitlines()[-1].removeprefix("__tag__:")
    return bentoml.bentos.get(tag), True


def server_home(home: Path) -> Path:
    """A fresh BentoML home for one server, sharing the project's bento and model stores.

    BentoML keeps a server's Prometheus multiprocess files under its home and wipes them when
    a server starts there: with a home of its own, no other `bentoml serve` (a benchmark, a
    manual run, the other slot) can erase this server's metrics.
    """
    shutil.rmtree(home, ignore_errors=True)  # the files of this home's previous server
    home.mkdir(parents=True)
    shared = settings().bentoml_home
    for store in ("bentos", "models"):
        (shared / store).mkdir(parents=True, exist_ok=True)
        (home / store).symlink_to(shared / store, target_is_directory=True)
    return home


def bento_for_model(model_version: str, mlflow_run_id: str) -> bentoml.Bento:
    """The newest bento built for one registered model version (LookupError when none)."""
    matching = [
        b
        for b in stored_bentos()
        if b.info.labels.get("model_version") == model_version
        and b.info.labels.get("mlflow_run_id") == mlflow_run_id
    ]
    if not matching:
        raise LookupError(
            f"no bento serves model version {model_version} (run {mlflow_run_id}): "
            "materialise mnist_bento first"
        )
    return max(matching, key=lambda b: b.info.creation_time)


def stored_bentos() -> list[bentoml.Bento]:
    """Every bento of this service in the store; none before the first build."""
    try:
        return list(bentoml.bentos.list(BENTO_SERVICE_NAME))
    except bentoml.exceptions.NotFound:
        return []
