#!/usr/bin/env bash
# The system programs the deployments run beside the Python code: Prometheus and nginx (the
# gateway that swaps bentos without downtime) for `make deploy`, Postgres for `make prod-up`.
# On Debian/Ubuntu as root, missing ones are installed with apt-get; elsewhere this says how to
# install them and fails. Arguments (command:package pairs) name other tools instead, e.g.
# `install-system-tools.sh wrk:wrk` for `make benchmark-serve`.
set -euo pipefail

wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=(prometheus:prometheus nginx:nginx-light initdb:postgresql)
missing=()
for pair in "${wanted[@]}"; do
  command=${pair%%:*} package=${pair##*:}
  if ! command -v "$command" >/dev/null && [ ! -x "/usr/sbin/$command" ] \
      && ! compgen -G "/usr/lib/postgresql/*/bin/$command" >/dev/null; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${missing[*]} with apt-get..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${missing[@]}" >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }
else
  echo "This needs: ${missing[*]}." >&2
  echo "  Debian/Ubuntu: sudo apt-get install ${missing[*]}" >&2
  echo "  macOS:         brew install ${missing[*]//nginx-light/nginx}" >&2
  exit 1
fi
