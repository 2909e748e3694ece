"""deploy/k8s/bento.yaml under ``podman kube play``: the manifest as a cluster would take it, with
what one host needs changed and nothing else.

Podman has no cluster network: every replica publishes its container port on the host, so two
replicas of one Deployment collide. Each replica is therefore played as a Deployment of its own
(``replicas: 1``) with a host port of its own. The Service and the HPA are played along and
ignored by Podman: only a cluster routes and scales. Podman 4 reads a ``secretKeyRef`` from a
Podman secret holding the Secret's ``data`` map (base64 values), which is what is created here.
"""

import base64
import copy
import json
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from mnist_assets.deploy.engines import Engine
from mnist_assets.deploy.probes import free_port
from mnist_assets_tests import REPO_ROOT

MANIFEST = REPO_ROOT / "deploy" / "k8s" / "bento.yaml"


@dataclass(frozen=True)
class Replica:
    """One played replica: its service URL and the name of its container."""

    url: str
    container: str


def manifest() -> list[dict]:
    return list(yaml.safe_load_all(MANIFEST.read_text()))


def deployment(documents: list[dict]) -> dict:
    (found,) = (d for d in documents if d["kind"] == "Deployment")
    return found


@dataclass(frozen=True)
class Play:
    """The replicas played, and the Podman secret that holds their token."""

    replicas: list[Replica]
    secret: str


@contextmanager
def played(engine: Engine, image: str, token: str, folder: Path) -> Iterator[Play]:
    """Every replica of the manifest's Deployment running ``image``; ``kube down`` afterwards."""
    documents = manifest()
    declared = deployment(documents)
    suffix = uuid.uuid4().hex[:8]  # never the names of a deployment of the user's
    (container,) = declared["spec"]["template"]["spec"]["containers"]
    (env,) = (e for e in container["env"] if e["name"] == "MNIST_API_TOKEN")
    secret = f"{env['valueFrom']['secretKeyRef']['name']}-{suffix}"
    key = env["valueFrom"]["secretKeyRef"]["key"]
    data = folder / "secret.json"
    data.write_text(json.dumps({key: base64.b64encode(token.encode()).decode()}))
    engine.run("secret", "create", secret, str(data))
    files: list[Path] = []
    try:
        replicas = []
        for index in range(declared["spec"]["replicas"]):
            one = copy.deepcopy(declared)
            one["metadata"]["name"] = name = f"{declared['metadata']['name']}-{suffix}-{index}"
            one["spec"]["replicas"] = 1
            (served,) = one["spec"]["template"]["spec"]["containers"]
            served["image"] = image
            served["env"] = [_with_secret(e, secret) for e in served["env"]]
            served["ports"][0]["hostPort"] = port = free_port()
            others = [d for d in documents if d is not declared] if index == 0 else []
            path = folder / f"{name}.yaml"
            path.write_text(yaml.safe_dump_all([one, *others]))
            files.append(path)
            engine.run("kube", "play", str(path), timeout=120)
            # Podman names a Deployment's pod <name>-pod-0, its containers <pod>-<container>.
            replicas.append(Replica(f"http://127.0.0.1:{port}", f"{name}-pod-0-{served['name']}"))
        yield Play(replicas, secret)
    finally:
        for path in files:
            engine.run("kube", "down", str(path), check=False, timeout=120)
        engine.run("secret", "rm", secret, check=False)


def _with_secret(env: dict, secret: str) -> dict:
    if "valueFrom" not in env:
        return env
    return {
        **env,
        "valueFrom": {"secretKeyRef": {**env["valueFrom"]["secretKeyRef"], "name": secret}},
    }


def crash(engine: Engine, container: str) -> int:
    """Kill the container's main process as a crash would (not ``podman kill``, which is a
    stop the restart policy honours); the restart count before."""
    state = engine.state(container)
    assert state is not None and state["Running"], container
    before = int((engine.inspect("container", container) or {})["RestartCount"])
    subprocess.run(["kill", "-9", str(state["Pid"])], check=True)
    return before
