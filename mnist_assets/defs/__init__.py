"""The code location's definitions.

Whatever process loads them (the `dagster` commands, the daemon, a run worker) keeps BentoML's
stores in the state folder, as `make` does.
"""

from mnist_assets import env

env.use_state_bentoml_home()
