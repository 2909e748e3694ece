"""Uploads are decoded off the event loop: the worker keeps answering while they decode."""

import threading
import time

import numpy as np
from starlette.testclient import TestClient

from mnist_assets_tests.test_service.uploads import png


def test_health_answers_while_a_batch_of_large_pngs_decodes(client: TestClient) -> None:
    # 16 photos at the per-image cap, the most one request may declare: a few kilobytes each
    # (a light square on black), a million pixels each to decode, grey and fit.
    photo = np.zeros((1000, 1000), dtype=np.uint8)
    photo[200:800, 300:700] = 255
    files = [("images", (f"{i}.png", png(photo), "image/png")) for i in range(16)]
    done = threading.Event()
    answers: list[int] = []

    def upload() -> None:
        answers.append(client.post("/predict/batch", files=files).status_code)
        done.set()

    uploader = threading.Thread(target=upload)
    started = time.perf_counter()
    uploader.start()
    healthy_meanwhile = 0
    while not done.is_set():
        assert client.get("/health").status_code == 200
        healthy_meanwhile += not done.is_set()
    uploader.join()
    print(f"upload {time.perf_counter() - started:.2f} s, /health answered {healthy_meanwhile}x")
    assert answers == [200]
    # Decoded on the loop, the upload would hold every /health behind it: one or two answers.
    assert healthy_meanwhile >= 20
