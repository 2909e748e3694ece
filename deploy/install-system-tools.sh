#!/usr/bin/env bash
# The system programs `make deploy` runs beside the bento: Prometheus and nginx (the gateway that
# swaps bentos without downtime). On Debian/Ubuntu as root, missing ones are installed with
# apt-get; elsewhere this says how to install them and fails.
set -euo pipefail

missing=()
for pair in prometheus:prometheus nginx:nginx-light; do
  command=${pair%%:*} package=${pair##*:}
  if ! command -v "$command" >/dev/null && [ ! -x "/usr/sbin/$command" ]; then
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
  echo "make deploy needs: ${missing[*]}." >&2
  echo "  Debian/Ubuntu: sudo apt-get install ${missing[*]}" >&2
  echo "  macOS:         brew install prometheus nginx" >&2
  exit 1
fi
