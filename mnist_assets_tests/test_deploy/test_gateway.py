from pathlib import Path

import pytest

from mnist_assets.deploy.gateway import Gateway, GatewayError, nginx_binary


def test_config_passes_nginx_own_check(tmp_path: Path) -> None:
    gateway = Gateway(tmp_path, "127.0.0.1", 18080)
    gateway.write_config(upstream_port=18081)  # runs `nginx -t`, raising on a bad config
    assert "server 127.0.0.1:18081;" in (gateway.state / "upstream.conf").read_text()
    assert "listen 127.0.0.1:18080;" in gateway.config.read_text()


def test_a_config_nginx_refuses_never_replaces_the_live_one(tmp_path: Path) -> None:
    gateway = Gateway(tmp_path, "127.0.0.1", 18080)
    gateway.write_config(upstream_port=18081)
    live = gateway.upstream.read_text(), gateway.config.read_text()
    broken = Gateway(tmp_path, "not a host name!", 18080)  # `listen` refuses it
    with pytest.raises(GatewayError, match="nginx -t -q failed"):
        broken.write_config(upstream_port=18082)
    assert (gateway.upstream.read_text(), gateway.config.read_text()) == live
    assert gateway.routed_port() == 18081


def test_missing_nginx_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(GatewayError, match="apt-get install nginx-light"):
        nginx_binary(search_path=str(tmp_path))
