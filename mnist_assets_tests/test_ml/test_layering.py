import subprocess
import sys


def test_ml_code_imports_without_dagster_or_mlflow() -> None:
    # ml/ is plain PyTorch/numpy: the service and notebooks import it without the orchestrator.
    # Every module of every room is imported, so a new file cannot slip the rule.
    code = (
        "import importlib, pkgutil, sys, mnist_assets.ml as ml\n"
        "names = [m.name for m in pkgutil.walk_packages(ml.__path__, 'mnist_assets.ml.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(len(names), sorted(m for m in ('dagster', 'mlflow') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, leaked = done.stdout.strip().split(" ", 1)
    assert int(count) >= 30 and leaked == "[]"


def test_ml_rooms_mirror_the_defs_domains() -> None:
    # A reader who found defs/<domain>/ finds its plain code in ml/<domain>/.
    from pathlib import Path

    import mnist_assets

    package = Path(mnist_assets.__file__).parent
    rooms = {p.name for p in (package / "ml").iterdir() if (p / "__init__.py").is_file()}
    domains = {p.name for p in (package / "defs").iterdir() if (p / "__init__.py").is_file()}
    assert {"data", "training", "evaluation", "monitoring"} <= rooms & domains
    assert not [
        p.name for p in (package / "ml").glob("*.py") if p.name not in ("__init__.py", "verdict.py")
    ]
