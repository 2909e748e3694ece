import dagster as dg

from mnist_assets.definitions import defs

# They tell a user that new data looks different or the model behaves oddly; never stop a run.
WARNING_CHECKS = {"data_drift", "behaviour"}


def test_definitions_load_with_the_lineage() -> None:
    graph = defs.resolve_asset_graph()
    parents = {
        "mnist_splits": {"raw_mnist"},
        "mnist_cnn": {"mnist_splits"},
        "validation_report": {"mnist_cnn", "mnist_splits"},
        "mnist_champion": {"validation_report", "mnist_cnn"},
        "optimized_model": {"mnist_champion", "mnist_splits"},
        "mnist_bento": {"mnist_champion", "optimized_model"},
    }
    for asset, expected in parents.items():
        keys = graph.get(dg.AssetKey(asset)).parent_keys
        assert {key.to_user_string() for key in keys} == expected


def test_quality_and_gate_checks_block_downstream_warnings_do_not() -> None:
    graph = defs.resolve_asset_graph()
    names = {key.name for key in graph.asset_check_keys}
    assert {"labels", "no_leakage", "accuracy_threshold", "no_regression"} <= names
    for key in graph.asset_check_keys:
        assert graph.get_check_spec(key).blocking is (key.name not in WARNING_CHECKS), key
