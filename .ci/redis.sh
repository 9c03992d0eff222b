#!/usr/bin/env bash
# A Redis for the scale-out tests (test/scale): `.ci/redis.sh start` installs Debian's
# redis-server when missing, starts it on 127.0.0.1:$CTFLOW_REDIS_PORT (default 6390) with a
# pidfile and no persistence, waits until it answers PING and prints its URL (for
# CTFLOW_TEST_REDIS); `.ci/redis.sh stop` stops it by its pidfile.
set -euo pipefail
PORT="${CTFLOW_REDIS_PORT:-6390}"
PIDFILE="${CTFLOW_REDIS_PIDFILE:-${TMPDIR:-/tmp}/ctflow-redis-$PORT.pid}"

start() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >&2
  fi
  redis-server --port "$PORT" --bind 127.0.0.1 --daemonize yes --pidfile "$PIDFILE" --save '' --appendonly no >&2
  for _ in $(seq 1 50); do
    if [ "$(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" = "PONG" ]; then
      echo "redis://127.0.0.1:$PORT"
      return 0
    fi
    sleep 0.1
  done
  echo "redis-server on 127.0.0.1:$PORT did not answer PING within 5 s" >&2
  return 1
}

stop() {
  if [ -f "$PIDFILE" ]; then
    kill "$(cat "$PIDFILE")" 2>/dev/null || true
    rm -f "$PIDFILE"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
