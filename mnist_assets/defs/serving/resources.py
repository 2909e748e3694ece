"""The local deployment behind a resource, so the service asset can be pointed anywhere."""

from pathlib import Path

import dagster as dg

from mnist_assets.deploy.stack import Deployment


class LocalDeployment(dg.ConfigurableResource):
    """Where `make deploy` runs the service: run folder, bind address and ports.

    No defaults here: ``from_environment`` takes them from mnist_assets.env, their one owner.
    """

    run_dir: str
    host: str
    port: int
    prometheus_port: int

    @classmethod
    def from_environment(cls) -> "LocalDeployment":
        local = Deployment.from_environment()
        return cls(
            run_dir=str(local.run_dir),
            host=local.host,
            port=local.port,
            prometheus_port=local.prometheus_port,
        )

    def deployment(self) -> Deployment:
        return Deployment(Path(self.run_dir), self.host, self.port, self.prometheus_port)
