"""The service class, imported for this session's model, and its ASGI app in process."""

import importlib
import os
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient


@pytest.fixture(scope="session")
def service_class(stored_model: str):
    # The service reads its model tag at import; pin it to this session's model, re-importing
    # in case a bento build earlier in the session imported it with another.
    os.environ["MNIST_BENTO_MODEL"] = stored_model
    import bentos.service

    return importlib.reload(bentos.service).MnistService


@pytest.fixture(scope="session")
def client(service_class) -> Iterator[TestClient]:
    with TestClient(service_class.to_asgi(), raise_server_exceptions=False) as test_client:
        yield test_client
