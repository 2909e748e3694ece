# mnist-assets: `make` lists the targets. Every target installs what it needs on demand.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
INSTALLED := $(VENV)/.installed
DVC_VENV := .venv-dvc
DVC := $(CURDIR)/$(DVC_VENV)/bin/dvc

export PATH := $(BIN):$(PATH)
# Dagster's and BentoML's own commands get their homes from mnist_assets/env.py (under the state
# folder: this checkout, or MNIST_STATE_DIR), which also puts dagster.yaml in the Dagster home.
TOOL_HOMES = eval "$$($(BIN)/python -m mnist_assets.env)" &&

DATA_ASSETS := raw_mnist,mnist_splits
# How `make deploy` runs the bento: auto (a container when Docker's daemon answers or Podman
# works, which it installs as root on Debian/Ubuntu; else processes), container, or local.
DEPLOY ?= auto

$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing mnist-assets into $(VENV) (the first time takes a few minutes)..."
	@$(BIN)/pip install -q -e '.[dev]' 2> >(grep -v 'is ignored: it is neither' >&2)
	@$(BIN)/pip check
	@touch $@

# DVC gets a venv of its own: its hydra-core pins an ANTLR runtime that breaks Dagster.
$(DVC): pyproject.toml
	@test -x $(DVC_VENV)/bin/python || $(PYTHON) -m venv $(DVC_VENV)
	@$(DVC_VENV)/bin/pip install -q $$($(PYTHON) -c "import tomllib; \
		print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['dvc'])") \
		2> >(grep -v 'is ignored: it is neither' >&2)
	@touch $@

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: install
install: $(INSTALLED) $(DVC) ## Create .venv (and .venv-dvc) and install the project (idempotent)

.PHONY: deploy
deploy: install ## Train what is due, serve the champion on :8000, Prometheus on :9090 (DEPLOY=auto|container|local)
	@bash deploy/install-system-tools.sh
ifneq ($(DEPLOY),local)
	@bash deploy/install-container-engine.sh $(if $(filter auto,$(DEPLOY)),|| true)
endif
	mnist-assets deploy --target $(DEPLOY)

.PHONY: undeploy
undeploy: install ## Stop exactly the processes and containers `make deploy` started
	mnist-assets undeploy

.PHONY: status
status: install ## Show the deployed bento, model version, its process or container and image
	mnist-assets status

.PHONY: rollback
rollback: install ## Serve the previous bento again and move the MLflow champion alias back
	mnist-assets rollback

.PHONY: dev
dev: install ## Start the Dagster UI and daemon on http://127.0.0.1:3000
	mnist-assets dagster-ui

.PHONY: review
review: install ## Label drift episodes in the browser on http://127.0.0.1:8300 and send them for training
	mnist-assets review

.PHONY: data
data: install ## Materialise raw_mnist and mnist_splits (MNIST_SOURCE picks the source)
	@$(TOOL_HOMES) dagster asset materialize -m mnist_assets.definitions --select $(DATA_ASSETS)

.PHONY: pipeline
pipeline: install ## Materialise data, model, report, champion and bento (make deploy also serves it)
	@$(TOOL_HOMES) dagster asset materialize -m mnist_assets.definitions --select 'not key:mnist_service'

.PHONY: train
train: install ## Train mnist_cnn (EPOCHS= LR= BATCH_SIZE= DEVICE= PRECISION= SEED= override mnist_assets/configs/training.yaml)
	@$(TOOL_HOMES) dagster asset materialize -m mnist_assets.definitions --select $(DATA_ASSETS),mnist_cnn \
		--config-json "$$(mnist-assets run-config --epochs '$(EPOCHS)' --learning-rate '$(LR)' \
			--batch-size '$(BATCH_SIZE)' --device '$(DEVICE)' --precision '$(PRECISION)' --seed '$(SEED)')"

.PHONY: validate
validate: install ## The gate's checks on registered version VERSION=N against the champion, nothing promoted
	@test -n "$(VERSION)" || { echo "make validate VERSION=N: which registered version?"; exit 2; }
	mnist-assets validate --version $(VERSION)

.PHONY: mlflow
mlflow: install ## Start the MLflow UI and tracking server on http://127.0.0.1:5000 over the local store
	mnist-assets mlflow-ui

.PHONY: compare
compare: install ## Compare the latest MLflow runs side by side (RUNS="id id" to pick) and plot them
	mnist-assets compare $(RUNS)

.PHONY: benchmark
benchmark: install ## Training speed: a DataLoader loop vs the project's loop
	python benchmarks/train_speed.py

.PHONY: benchmark-json
benchmark-json: install ## Request bodies to numpy: json vs orjson, the service's parser
	python benchmarks/json_parse.py

.PHONY: benchmark-allocator
benchmark-allocator: install ## Training 60,000 images with and without the allocator setting, fresh processes
	python benchmarks/train_allocator.py

.PHONY: benchmark-uploads
benchmark-uploads: install ## /readyz and JSON /predict while 4 clients upload 256-PNG batches, vs none
	python benchmarks/upload_stall.py

.PHONY: profile-serve
profile-serve: install ## Where a serving worker's time goes under load (py-spy); AGAINST=REV adds that revision's
	bash deploy/install-system-tools.sh wrk:wrk
	python benchmarks/profile_serve.py $(AGAINST)

.PHONY: benchmark-soak
benchmark-soak: install ## 64 clients through a gateway of its own for 10 minutes: errors, latency, worker memory
	python benchmarks/soak.py

.PHONY: benchmark-gate
benchmark-gate: install ## The promotion gate's false blocks and detections over pairs of trained models
	python benchmarks/gate_power.py

.PHONY: benchmark-devices
benchmark-devices: install ## Training speed per device: CPU, and on a GPU eager vs CUDA graphs
	python benchmarks/train_devices.py

.PHONY: image
image: install ## Build the container image of the champion's bento, tagged with its version and latest
	mnist-assets image

.PHONY: images
images: install ## Build the production compose file's images: code location, MLflow, Postgres, Prometheus
	mnist-assets images

.PHONY: prod-up
prod-up: install ## Dagster's production topology: Postgres, code server, webserver, daemon, MLflow
	@bash deploy/install-system-tools.sh
	mnist-assets prod-up

.PHONY: prod-down
prod-down: install ## Stop the production topology (its data stays in run/prod)
	mnist-assets prod-down

.PHONY: benchmark-runtimes
benchmark-runtimes: install ## Inference runtimes: eager PyTorch vs ONNX Runtime fp32 and int8
	python benchmarks/inference_runtimes.py

.PHONY: benchmark-serve
benchmark-serve: install ## Serving load with wrk: the deployed bento vs naive BentoML, FastAPI and mlflow serve, same workers (after make deploy)
	bash deploy/install-system-tools.sh wrk:wrk
	python benchmarks/serve_load.py

.PHONY: repro
repro: install ## Run the DVC pipeline (its stages call Dagster)
	@$(TOOL_HOMES) $(DVC) repro

.PHONY: screenshots
screenshots: install ## Photograph the Dagster lineage, the MLflow run, the labelling page and the dashboard into docs/
	@bash deploy/install-system-tools.sh chromium:chromium
	python docs/screenshots.py

.PHONY: lint
lint: install ## Run ruff (lint + format check), mypy, bandit (no medium or high finding), the docs site strictly
	ruff check .
	ruff format --check .
	mypy
	bandit -q -r mnist_assets bentos --severity-level medium
	NO_MKDOCS_2_WARNING=1 mkdocs build --strict --quiet

.PHONY: docs
docs: install ## Serve the documentation site (docs/, MkDocs) on http://127.0.0.1:8100
	NO_MKDOCS_2_WARNING=1 mkdocs serve --dev-addr 127.0.0.1:8100

.PHONY: audit
audit: install ## Check the installed Python packages against known vulnerabilities (needs PyPI)
	pip-audit --progress-spinner off

.PHONY: format
format: install ## Format the code with ruff
	ruff format .
	ruff check --fix .

.PHONY: test
test: install ## Run the whole test suite, integration tests included
	@bash deploy/install-system-tools.sh
	@bash deploy/install-system-tools.sh chromium:chromium  # the browser tests
	@{ bash deploy/install-container-engine.sh && { docker info >/dev/null 2>&1 \
		|| bash deploy/install-system-tools.sh podman-compose:podman-compose; }; } \
		|| echo "No container engine: the container test is skipped (CI installs one)."
	pytest --timeout=900 --durations=15

.PHONY: coverage
coverage: install ## The fast tests with line coverage of mnist_assets/: the total, and an HTML report in htmlcov/
	pytest -m "not slow and not integration" --cov=mnist_assets --cov-report=term:skip-covered \
		--cov-report=html

.PHONY: test-fast
test-fast: install ## Run the fast tests only (no slow or integration tests)
	pytest -m "not slow and not integration"

.PHONY: clean
clean: ## Stop the deployment; remove what can be rebuilt (asset data, caches, bentos, images, Dagster home)
	@if [ -x $(BIN)/mnist-assets ]; then $(BIN)/mnist-assets clean; fi
	rm -rf .pytest_cache .mypy_cache .ruff_cache

.PHONY: purge
purge: install ## Delete everything, labelled batches, review episodes and registries too (asks; CONFIRM=yes skips)
	mnist-assets purge $(if $(filter yes,$(CONFIRM)),--yes)
