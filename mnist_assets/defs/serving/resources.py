"""The local deployment behind a resource, so the service asset can be pointed anywhere."""

from pathlib import Path

import dagster as dg

from mnist_assets import env
from mnist_assets.deploy.stack import Deployment


class LocalDeployment(dg.ConfigurableResource):
    """Where `make deploy` runs the service: run folder, bind address and ports."""

    run_dir: str
    host: str = "127.0.0.1"
    port: int = 8000
    prometheus_port: int = 9090

    @classmethod
    def from_environment(cls) -> "LocalDeployment":
        return cls(
            run_dir=str(env.run_dir()),
            host=env.bind_host(),
            port=env.service_port(),
            prometheus_port=env.prometheus_port(),
        )

    def deployment(self) -> Deployment:
        return Deployment(Path(self.run_dir), self.host, self.port, self.prometheus_port)
