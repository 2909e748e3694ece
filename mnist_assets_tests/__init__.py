"""Tests of mnist-assets, mirroring the package."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]  # the checkout the tests run from
