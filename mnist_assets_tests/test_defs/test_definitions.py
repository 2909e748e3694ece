import dagster as dg

from mnist_assets.definitions import defs


def test_definitions_load_with_the_data_lineage() -> None:
    graph = defs.resolve_asset_graph()
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} >= {
        "raw_mnist",
        "mnist_splits",
    }
    assert graph.get(dg.AssetKey("mnist_splits")).parent_keys == {dg.AssetKey("raw_mnist")}


def test_every_data_check_blocks_downstream() -> None:
    graph = defs.resolve_asset_graph()
    assert len(graph.asset_check_keys) >= 5
    for key in graph.asset_check_keys:
        assert graph.get_check_spec(key).blocking, key
