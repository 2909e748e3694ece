import subprocess
import sys


def test_ml_code_imports_without_dagster_or_mlflow() -> None:
    # ml/ is plain PyTorch/numpy: the service and notebooks import it without the orchestrator.
    code = (
        "import sys, mnist_assets.ml.training, mnist_assets.ml.validation, mnist_assets.ml.gate;"
        "print(sorted(m for m in ('dagster', 'mlflow') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
