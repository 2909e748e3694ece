"""The local deployment: supervised background processes for the bento, its gateway and Prometheus.

Plain Python, no Dagster: `make deploy` and the mnist_service asset both drive it.
"""
