"""`make review`: the labelling page over the drift episodes, on the review port."""

from __future__ import annotations

import sys

from mnist_assets.deploy.exposure import ExposureRefused, check_exposure
from mnist_assets.env import monitoring_settings
from mnist_assets.settings import settings


def review() -> int:
    """Serve the labelling page until Ctrl-C."""
    import uvicorn

    from mnist_assets.review.app import review_app
    from mnist_assets.review.progress import BatchFolders

    current = settings()
    try:
        check_exposure(current.bind_host, mlflow_server=False)
    except ExposureRefused as exc:
        print(f"review: {exc}", file=sys.stderr)
        return 1
    root = current.data_root / monitoring_settings()["review"]["folder"]
    app = review_app(root, BatchFolders.from_environment(), current.api_token)
    url = f"http://{current.bind_host}:{current.review_port}/"
    opened = f"{url}?token=<MNIST_API_TOKEN>" if current.api_token else url
    print(f"Labelling page on {opened} (episodes in {root})", flush=True)
    uvicorn.run(app, host=current.bind_host, port=current.review_port, log_level="warning")
    return 0
