"""Pruning after a deploy: the live release, the rollback target and the newest N stay; older
bentos go with their images and the models only they served. Run in a child process with a
BentoML home of its own, so no other test's bentos are touched."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mnist_assets.deploy.engines import detect
from mnist_assets_tests import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCRIPT = """
import json, sys
from pathlib import Path
import bentoml
from mnist_assets.deploy.bentos import build_bento
from mnist_assets.deploy.engines import Engine
from mnist_assets.deploy.image import image_ref
from mnist_assets.deploy.retention import prune
from mnist_assets.deploy.state import DeployState, Release
from mnist_assets.serving.model_store import save_champion

folder, engine_name, empty_image = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
engine = Engine(engine_name) if engine_name else None
bentos, models = [], []
for version in ("1", "2", "3", "4", "5", "6"):
    labels = {"model_version": version, "mlflow_run_id": f"run-{version}"}
    model = save_champion(folder / "model.pt", folder / "drift_reference.json", labels, {})
    bentos.append(str(build_bento(model, labels)[0].tag))
    models.append(model)
    if engine is not None:  # the image a container deploy would have built for it
        engine.run("tag", empty_image, image_ref(bentos[-1]))
# v4 serves, v3 served before it (the rollback target), v1 long ago.
state = DeployState(
    live=Release(bentos[3], "4", "blue", 1),
    history=[Release(bentos[0], "1", "blue", 1), Release(bentos[2], "3", "green", 2)],
)
removed = prune(state, keep=2, engine=engine)
print(json.dumps({
    "bentos": bentos,
    "removed": removed,
    "left": sorted(str(b.tag) for b in bentoml.bentos.list()),
    "models_left": sorted(str(m.tag) for m in bentoml.models.list()),
    "models": models,
    "images_left": [b for b in bentos if engine and engine.image_exists(image_ref(b))],
}))
"""


def test_only_the_live_the_rollback_and_the_newest_stay(
    tmp_path: Path, champion_files: Path
) -> None:
    engine, _ = detect()
    empty = "mnist-retention-empty:1"
    env = {
        **os.environ,
        "BENTOML_HOME": str(tmp_path / "bentoml"),
        "MNIST_IMAGE_NAME": "mnist-retention-test",
    }
    if engine is not None:
        tar = subprocess.run(["tar", "cf", "-", "--files-from", "/dev/null"], capture_output=True)
        importing = [engine.name, "import", "-", empty]
        subprocess.run(importing, input=tar.stdout, check=True, capture_output=True)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                SCRIPT,
                str(champion_files),
                engine.name if engine else "",
                empty,
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO_ROOT,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        result = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if engine is not None:
            engine.run("rmi", "-f", empty, check=False)
    bentos, models = result["bentos"], result["models"]
    # Kept: v4 (live), v3 (rollback target), v6 and v5 (the two newest). Gone: v1 and v2.
    assert sorted(result["removed"]) == sorted([bentos[0], bentos[1]])
    assert result["left"] == sorted(bentos[2:])
    assert result["models_left"] == sorted(models[2:])
    if engine is not None:
        assert result["images_left"] == bentos[2:]
