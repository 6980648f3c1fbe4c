#!/usr/bin/env bash
# Starts the Docker daemon when it is not already answering, then waits until it does.
# Idempotent: exits at once when the socket answers. Needs root (or sudo) to start it.
#
#   scripts/start-dockerd.sh            # default socket /var/run/docker.sock
#   DOCKERD_LOG=/tmp/d.log scripts/start-dockerd.sh
#
# Uses systemd or the init script when the machine has one running, and otherwise starts
# dockerd in its own session (containers, CI runners and VMs without an init system).
set -euo pipefail

socket="${DOCKER_SOCKET:-/var/run/docker.sock}"
log="${DOCKERD_LOG:-/var/log/jitskit-dockerd.log}"
wait_s="${DOCKERD_WAIT_S:-60}"

answers() {
  if command -v curl >/dev/null 2>&1; then
    curl --silent --max-time 3 --unix-socket "$socket" http://localhost/_ping 2>/dev/null \
      | grep -q '^OK$'
  else
    python3 - "$socket" 2>/dev/null <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
reply = b""
while chunk := s.recv(4096):
    reply += chunk
sys.exit(0 if reply.startswith(b"HTTP/1.0 200") and reply.endswith(b"OK") else 1)
PY
  fi
}

if answers; then
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "start-dockerd: dockerd is not installed; run scripts/setup-system.sh first" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo -n"
  else
    echo "start-dockerd: the daemon is not running and starting it needs root" >&2
    exit 1
  fi
fi

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  $sudo systemctl start docker
elif [ -x /etc/init.d/docker ] && [ -d /run/openrc ]; then
  $sudo /etc/init.d/docker start
else
  # A stale pid file from a daemon that died makes dockerd refuse to start.
  pidfile=/var/run/docker.pid
  if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    $sudo rm -f "$pidfile"
  fi
  $sudo sh -c "setsid nohup dockerd -H unix://$socket >>'$log' 2>&1 </dev/null &"
fi

deadline=$((SECONDS + wait_s))
until answers; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "start-dockerd: dockerd did not answer on $socket within ${wait_s}s; see $log" >&2
    tail -n 20 "$log" >&2 2>/dev/null || true
    exit 1
  fi
  sleep 0.5
done
echo "start-dockerd: dockerd answers on $socket"
