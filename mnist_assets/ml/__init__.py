"""Plain numpy/PyTorch ML code: no Dagster import may appear in this package."""
