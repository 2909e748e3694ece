"""Declarative automation: each downstream asset follows its parents when their data changes."""

import dagster as dg

# Like AutomationCondition.eager(), but a parent counts as updated only when its data version
# changed: raw_mnist re-read from an unchanged source moves nothing. And nothing moves past a
# blocking check that failed (the data checks, the promotion gate).
FOLLOW_PARENTS = (
    dg.AutomationCondition.in_latest_time_window()
    & (
        dg.AutomationCondition.newly_missing()
        | dg.AutomationCondition.any_deps_match(dg.AutomationCondition.data_version_changed())
    ).since_last_handled()
    & ~dg.AutomationCondition.any_deps_missing()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
    & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("follow_parents")
