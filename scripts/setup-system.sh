#!/usr/bin/env bash
# Installs the Debian packages jitskit needs: compilers, the baseline stores' libraries,
# the sandboxes (bubblewrap, Docker), a one-node Slurm cluster (slurm-wlm, munge; started by
# scripts/start-slurm.sh), the tools tests drive (tmux, sshd, strace), rsvg-convert for
# benchmarks/tui_screenshot.py (the README's picture), and Chromium, in which a test opens
# the HTML results report (`jitskit report --format html`) headless, offline.
# Idempotent: installs only what is missing. Needs root (or sudo).
set -euo pipefail

packages=(
  g++ make git
  python3-venv
  bubblewrap strace
  librocksdb-dev libleveldb-dev liblmdb-dev libtbb-dev
  docker.io debootstrap
  slurm-wlm munge
  tmux openssh-server openssh-client openssl iproute2
  librsvg2-bin
  chromium fonts-dejavu-core
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

# python3-venv only matters for Debian's own python3; a python3 that can already make
# venvs (pyenv, a source build) does not need it.
if python3 -m venv --help >/dev/null 2>&1; then
  missing=("${missing[@]/python3-venv}")
fi
missing=($(printf '%s\n' "${missing[@]}" | sed '/^$/d'))

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "setup: missing packages ${missing[*]}; run this script as root to install them" >&2
    exit 1
  fi
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
