#!/usr/bin/env bash
# Smoke test of a deployed prediction service: /health says ok and one prediction comes back.
# Usage: deploy/smoke.sh http://127.0.0.1:8000   (MNIST_API_TOKEN is sent when set)
set -euo pipefail
url=${1:?usage: deploy/smoke.sh SERVICE_URL}
python3 - "$url" <<'PY'
import json, os, sys, urllib.request

url = sys.argv[1].rstrip("/")
headers = {"content-type": "application/json"}
if os.environ.get("MNIST_API_TOKEN"):
    headers["authorization"] = f"Bearer {os.environ['MNIST_API_TOKEN']}"
with urllib.request.urlopen(f"{url}/health", timeout=10) as response:
    health = json.loads(response.read())
assert health["status"] == "ok", health
body = json.dumps({"image": [[0.0] * 28] * 28}).encode()
request = urllib.request.Request(f"{url}/predict", body, headers)
with urllib.request.urlopen(request, timeout=10) as response:
    prediction = json.loads(response.read())
assert 0 <= prediction["digit"] <= 9 and len(prediction["probabilities"]) == 10, prediction
print(f"smoke ok: model v{health['model_version']}, blank image -> {prediction['digit']}")
PY
