"""The GitHub workflows are valid and call only make targets and scripts that exist."""

import re
from pathlib import Path

import pytest
import yaml

from mnist_assets_tests import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
MAKE_TARGETS = set(re.findall(r"^([a-z][a-z0-9-]*):", (REPO_ROOT / "Makefile").read_text(), re.M))


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_the_expected_workflows_exist() -> None:
    assert {path.name for path in WORKFLOWS} == {"ci.yml", "train.yml", "deploy.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_references_exist(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text())
    assert workflow["name"] and workflow["jobs"]
    assert workflow[True]  # "on:" (YAML 1.1 reads the key as a boolean)
    for step in _steps(workflow):
        assert "uses" in step or "run" in step, step
        command = step.get("run", "")
        for target in re.findall(r"\bmake ([a-z][a-z0-9-]*)", command):
            assert target in MAKE_TARGETS, f"{path.name}: no make target {target!r}"
        for script in re.findall(r"(?:bash |^)(\.?[\w./-]+\.sh|\.ci/run)\b", command):
            assert (REPO_ROOT / script).is_file(), f"{path.name}: no script {script}"


def test_ci_runs_the_readme_test_command_and_lints() -> None:
    ci = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "ci.yml").read_text())
    commands = " ".join(step.get("run", "") for step in _steps(ci))
    assert "bash .ci/run" in commands and "make audit" in commands and "make image" in commands
    local_ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "make lint" in local_ci and "make test" in local_ci


def test_deploy_stages_end_with_a_smoke_test() -> None:
    deploy = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    assert set(deploy["jobs"]) == {"staging", "production"}
    for name, job in deploy["jobs"].items():
        assert job["environment"] == name
        assert job["steps"][-1]["run"].startswith("bash deploy/smoke.sh"), name
    assert "refs/tags/v" in deploy["jobs"]["production"]["if"]


def test_deploys_keep_their_state_outside_the_checkout_and_outlive_the_job() -> None:
    deploy = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    for name, job in deploy["jobs"].items():
        assert job["env"]["MNIST_STATE_DIR"].startswith("/var/lib/"), name
        (step,) = [s for s in job["steps"] if "make deploy" in s.get("run", "")]
        assert step["run"].startswith('RUNNER_TRACKING_ID="" '), name
