"""Which assets a deploy must materialise: missing, with moved inputs, or with changed code.

Data versions are content hashes, so re-materialising raw_mnist from an unchanged source gives
the same version and nothing downstream is due: an unchanged project never retrains. An asset
with a code version (mnist_bento: a fingerprint of the service code it packs) is due when that
version differs from the one its latest materialisation recorded.
"""

import dagster as dg

DATA_VERSION_TAG = "dagster/data_version"
CODE_VERSION_TAG = "dagster/code_version"
INPUT_VERSION_TAG = "dagster/input_data_version/{}"


def due_assets(
    defs: dg.Definitions, instance: dg.DagsterInstance, always: set[dg.AssetKey] | None = None
) -> tuple[list[dg.AssetKey], dict[dg.AssetKey, str]]:
    """The assets to materialise, in dependency order, and the ones held back with a reason.

    An asset is due when it was never materialised, when a parent's data version differs from
    the one it was built from, or when a parent is due. It is held back instead while a
    blocking check failed on a parent's latest materialisation: nothing passes a failed gate.
    ``always`` names assets to run in any case (the live service: it serves whatever is champion).
    """
    graph = defs.resolve_asset_graph()
    due: list[dg.AssetKey] = []
    held: dict[dg.AssetKey, str] = {}
    latest: dict[dg.AssetKey, dg.EventLogEntry | None] = {}
    for key in graph.toposorted_asset_keys:
        latest[key] = instance.get_latest_materialization_event(key)
        parents = graph.get(key).parent_keys
        reasons = [held[p] for p in parents if p in held] + [
            f"{p.to_user_string()}: {check} failed"
            for p in parents
            if p not in due  # a parent re-run now gets checked afresh
            for check in _failed_blocking_checks(instance, p, latest.get(p))
        ]
        if key in (always or set()):
            due.append(key)
        elif reasons:
            held[key] = "; ".join(dict.fromkeys(reasons))
        elif (
            latest[key] is None
            or _code_changed(graph.get(key).code_version, latest[key])
            or any(p in due or _moved(p, latest[p], latest[key]) for p in parents)
        ):
            due.append(key)
    return due, held


def _tags(event: dg.EventLogEntry | None) -> dict[str, str]:
    materialization = event.asset_materialization if event else None
    return dict(materialization.tags or {}) if materialization else {}


def _code_changed(code_version: str | None, event: dg.EventLogEntry | None) -> bool:
    return code_version is not None and _tags(event).get(CODE_VERSION_TAG) != code_version


def _moved(
    parent: dg.AssetKey, parent_event: dg.EventLogEntry | None, event: dg.EventLogEntry | None
) -> bool:
    current = _tags(parent_event).get(DATA_VERSION_TAG)
    used = _tags(event).get(INPUT_VERSION_TAG.format(parent.to_user_string()))
    return current != used


def _failed_blocking_checks(
    instance: dg.DagsterInstance, key: dg.AssetKey, event: dg.EventLogEntry | None
) -> list[str]:
    """Names of blocking checks that failed in the run of ``key``'s latest materialisation."""
    if event is None:
        return []
    records = instance.all_logs(event.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    failed = []
    for record in records:
        evaluation = record.dagster_event and record.dagster_event.asset_check_evaluation_data
        if (
            evaluation
            and evaluation.asset_key == key
            and evaluation.blocking
            and not evaluation.passed
        ):
            failed.append(evaluation.check_name)
    return failed
