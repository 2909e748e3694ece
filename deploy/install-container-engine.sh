#!/usr/bin/env bash
# The container engine `make deploy` runs the bento with: nothing to do when Docker's daemon
# answers or Podman is here. Otherwise, on Debian/Ubuntu as root, Podman is installed with
# apt-get, with runc and debootstrap (which builds the base image where no registry answers).
# Elsewhere this says what is missing and exits 1: `make deploy` then runs the bento as
# processes (DEPLOY=auto) or stops (DEPLOY=container).
set -euo pipefail

docker info >/dev/null 2>&1 && exit 0
if ! command -v podman >/dev/null || ! command -v runc >/dev/null \
    || ! command -v debootstrap >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing podman, runc and debootstrap with apt-get..."
    export DEBIAN_FRONTEND=noninteractive
    packages=(podman runc debootstrap)
    apt-get install -y -qq "${packages[@]}" >/dev/null \
      || { apt-get update -qq && apt-get install -y -qq "${packages[@]}" >/dev/null; }
  else
    echo "No container engine: Docker's daemon does not answer and Podman is not installed." >&2
    echo "  Debian/Ubuntu: sudo apt-get install podman runc debootstrap" >&2
    exit 1
  fi
fi

# Podman's containers ask for 1,048,576 open files; where the host refuses that (some VMs and
# sandboxes), containers inherit the host's limits instead.
dropin=/etc/containers/containers.conf.d/mnist-assets.conf
if [ "$(id -u)" = 0 ] && [ ! -f "$dropin" ] \
    && ! prlimit --nofile=1048576:1048576 true 2>/dev/null; then
  mkdir -p "$(dirname "$dropin")"
  printf '# Written by mnist-assets: this host refuses raising the open-file limit.\n[containers]\ndefault_ulimits = []\n' >"$dropin"
fi
podman info >/dev/null
