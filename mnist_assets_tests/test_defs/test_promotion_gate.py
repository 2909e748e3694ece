"""The chain up to the champion on the bundled data, through a real local MLflow registry."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import bentoml
import dagster as dg
import mlflow
import pytest
from mlflow.tracking import MlflowClient

from mnist_assets.cli import main
from mnist_assets.constants import CHAMPION_ALIAS, PREVIOUS_ALIAS, REGISTERED_MODEL_NAME
from mnist_assets.defs.data.assets import mnist_splits, raw_mnist
from mnist_assets.defs.data.resources import MnistSourceResource
from mnist_assets.defs.evaluation.assets import mnist_champion, validation_report
from mnist_assets.defs.evaluation.checks import gate_checks
from mnist_assets.defs.serving.bento import mnist_bento
from mnist_assets.defs.serving.optimized import optimized_model
from mnist_assets.defs.shared.io_manager import FolderIOManager
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.defs.training.assets import mnist_cnn
from mnist_assets.defs.training.tracking import mlflow_resource
from mnist_assets.settings import settings

pytestmark = pytest.mark.slow


@dataclass
class Store:
    data: Path
    uri: str
    first: dg.ExecuteInProcessResult | None = None

    def materialize(self, training: dict | None):
        """The whole chain with this training config; None materialises mnist_bento alone."""
        assets = [raw_mnist, mnist_splits, mnist_cnn, validation_report, mnist_champion]
        assets += [*gate_checks, optimized_model, mnist_bento]
        selection = ["mnist_bento"] if training is None else None
        config = {} if training is None else {"mnist_cnn": {"config": {"training": training}}}
        return dg.materialize(
            assets,
            resources={
                "mnist_source": MnistSourceResource(),
                "folder_io": FolderIOManager(root=str(self.data)),
                "mlflow": mlflow_resource(),
                "model_registry": ModelRegistry(tracking_uri=self.uri),
            },
            run_config={"ops": config},
            selection=selection,
            raise_on_error=False,
        )

    def alias(self, name: str) -> str:
        client = MlflowClient(self.uri)
        return str(client.get_model_version_by_alias(REGISTERED_MODEL_NAME, name).version)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A registry whose first model, trained on the default config, passed the gate."""
    root = tmp_path_factory.mktemp("gate")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        patch.setenv("MNIST_MLFLOW_ROOT", str(root / "mlruns"))
        store = Store(root / "data", settings().mlflow_tracking_uri)
        store.first = store.materialize({})
        assert store.first.success, [e.message for e in store.first.all_events if e.is_failure]
        yield store
        mlflow.end_run()


def test_the_first_good_model_passes_the_gate_and_becomes_champion(store: Store) -> None:
    assert store.alias(CHAMPION_ALIAS) == "1"
    client = MlflowClient(store.uri)
    version = client.get_model_version(REGISTERED_MODEL_NAME, "1")
    artifacts = {a.path for a in client.list_artifacts(version.run_id, "validation")}
    assert {
        "validation/report.json",
        "validation/confusion_matrix.png",
        "validation/drift_reference.json",
    } <= artifacts
    logged = client.get_run(version.run_id).data.metrics
    assert logged["test_accuracy"] >= 0.97
    # Per-digit precision, recall and F1 and their macro averages, comparable across runs.
    assert {f"test_{n}_{d}" for n in ("precision", "recall", "f1") for d in range(10)} <= set(
        logged
    )
    assert logged["test_macro_f1"] > 0.9

    (bento_event,) = store.first.asset_materializations_for_node("mnist_bento")
    bento = bentoml.bentos.get(bento_event.metadata["bento_tag"].value)
    assert bento.info.labels["model_version"] == "1"
    assert bento.info.labels["mlflow_run_id"] == version.run_id
    assert bento_event.metadata["built"].value is True

    # The served variant: the fastest one within 0.2 pp of eager PyTorch, or eager itself.
    (optimized,) = store.first.asset_materializations_for_node("optimized_model")
    variants = optimized.metadata["variants"].value
    assert all(name in variants for name in ("| eager", "| onnx ", "| onnx-int8"))
    assert bento_event.metadata["runtime"].value == optimized.metadata["runtime"].value
    assert optimized.metadata["speedup_vs_eager"].value >= 1.0
    logged = {a.path for a in client.list_artifacts(version.run_id, "optimization")}
    assert {"optimization/variants.json", "optimization/variants.md"} <= logged


def test_rerunning_with_nothing_new_reuses_the_bento(store: Store) -> None:
    # Runs before the second good model is promoted (tests run in file order).
    (before,) = store.first.asset_materializations_for_node("mnist_bento")
    assert store.alias(CHAMPION_ALIAS) == "1"
    again = store.materialize(None)
    (event,) = again.asset_materializations_for_node("mnist_bento")
    assert event.metadata["bento_tag"].value == before.metadata["bento_tag"].value
    assert event.metadata["built"].value is False


def test_a_bad_model_is_stopped_and_the_champion_stays(store: Store) -> None:
    champion_before = store.alias(CHAMPION_ALIAS)
    # A learning rate of 1e-9 leaves the weights where initialisation put them: a random model.
    result = store.materialize({"epochs": 1, "learning_rate": 1e-9, "scheduler": "constant"})
    assert not result.success
    failed = {c.check_name: c for c in result.get_asset_check_evaluations() if not c.passed}
    blocking = {name for name, c in failed.items() if c.severity == dg.AssetCheckSeverity.ERROR}
    assert blocking == {"accuracy_threshold", "class_recall_floor", "no_regression"}
    assert "below the 97.00% threshold" in failed["accuracy_threshold"].description
    assert failed["no_regression"].metadata["champion_version"].value == champion_before
    assert failed["no_regression"].metadata["p_value"].value < 0.05
    assert result.asset_materializations_for_node("mnist_champion") == []
    assert result.asset_materializations_for_node("optimized_model") == []
    assert result.asset_materializations_for_node("mnist_bento") == []
    assert store.alias(CHAMPION_ALIAS) == champion_before


def test_validate_judges_any_registered_version_and_moves_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Runs after the bad model of the test above was registered as v2 and blocked.
    monkeypatch.setenv("MNIST_DATA_ROOT", str(store.data))
    assert main(["validate", "--version", "2"]) == 1
    out = capsys.readouterr().out
    assert "accuracy_threshold: FAILED: accuracy" in out and "would be blocked" in out
    assert main(["validate", "--version", "1"]) == 0
    assert "would pass the gate" in capsys.readouterr().out
    assert main(["validate", "--version", "99"]) == 1
    assert "has no version 99" in capsys.readouterr().err
    assert store.alias(CHAMPION_ALIAS) == "1"  # nothing was promoted


def test_a_second_good_model_takes_over_and_keeps_the_old_one_as_previous(store: Store) -> None:
    champion_before = store.alias(CHAMPION_ALIAS)
    # Another seed of the same recipe: equally good, so the configured gate lets it through.
    result = store.materialize({"seed": 1})
    assert result.success
    (verdict,) = [
        c for c in result.get_asset_check_evaluations() if c.check_name == "no_regression"
    ]
    assert verdict.metadata["p_value"].value >= 0.05
    (event,) = result.asset_materializations_for_node("mnist_champion")
    new_version = str(event.metadata["champion_version"].value)
    assert new_version != champion_before
    assert store.alias(CHAMPION_ALIAS) == new_version
    assert store.alias(PREVIOUS_ALIAS) == champion_before
    (bento_event,) = result.asset_materializations_for_node("mnist_bento")
    assert bento_event.metadata["model_version"].value == new_version
    assert bento_event.metadata["built"].value is True
