"""Clients of a deployed service in the integration tests: one request, or a steady load."""

import http.client
import json
import threading
import urllib.error
import urllib.request

import numpy as np


def post_json(url: str, body: dict, headers: dict[str, str] | None = None) -> int:
    """POST ``body`` as JSON (with ``headers``); the status code."""
    headers = {"content-type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def predict(url: str, image: object) -> dict:
    """POST one image to ``url``/predict; the prediction (with its id)."""
    body = json.dumps({"image": np.asarray(image).tolist()}).encode()
    request = urllib.request.Request(
        f"{url}/predict", body, {"content-type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def post_batch(url: str, images: np.ndarray) -> list[dict]:
    """POST ``images`` as one JSON batch to ``url``; the predictions (with their ids)."""
    body = json.dumps({"images": images.tolist()}).encode()
    request = urllib.request.Request(url, body, {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["predictions"]


def get_json(url: str, headers: dict[str, str] | None = None) -> dict:
    """GET ``url`` (with ``headers``); its JSON answer."""
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


class Load(threading.Thread):
    """One client sending /predict in a loop, counting answers that were not 200."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(daemon=True)
        self.url, self.sent, self.failed, self.done = url, 0, [], threading.Event()
        self.headers = headers
        self.succeeded_in_a_row = 0

    def run(self) -> None:
        body = {"image": [[0.0] * 28] * 28}
        while not self.done.is_set():
            try:
                status = post_json(f"{self.url}/predict", body, self.headers)
            except (OSError, http.client.HTTPException) as exc:  # e.g. a worker killed mid-answer
                status = repr(exc)
            self.sent += 1
            if status != 200:
                self.failed.append(status)
                self.succeeded_in_a_row = 0
            else:
                self.succeeded_in_a_row += 1
