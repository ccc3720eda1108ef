#!/usr/bin/env bash
# `npm run down`: stops the Slipway server. Apps keep serving: HAProxy and their containers
# don't depend on Slipway's process. `npm run down -- --all` also stops HAProxy.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
pidfile="$RUN_DIR/slipway.pid"
if pid_alive "$pidfile" "cli/main"; then
  step "Stopping Slipway (pid $(cat "$pidfile"))"
  kill "$(cat "$pidfile")"
  for _ in $(seq 50); do pid_alive "$pidfile" "cli/main" || break; sleep 0.2; done
else
  step "Slipway is not running"
fi
rm -f "$pidfile"
if [ "${1:-}" = "--all" ] && [ -s "$SLIPWAY_DATA/haproxy/haproxy.pid" ]; then
  step "Stopping HAProxy"
  kill "$(head -1 "$SLIPWAY_DATA/haproxy/haproxy.pid")" 2>/dev/null || true
fi
