#!/usr/bin/env bash
# Starts two extra ways to reach Docker on this machine, for trying `--machine` by hand:
# a second dockerd on tcp://127.0.0.1:PORT with TLS (its own certificates) and an sshd
# on 127.0.0.1 that lets root in with a key made for the session. Prints the machine
# URLs and the environment to export, and stops both on Ctrl-C. Needs root and a
# running local daemon (scripts/start-dockerd.sh); builds the benchmark image if missing.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$here/.venv/bin/python}"
exec "$python" "$here/tests/docker/dockerkit.py"
