#!/usr/bin/env bash
# `npm run down`: stops the Slipway server and what supervises it (the systemd unit, or
# `slipway supervise`). Apps keep serving: HAProxy and their containers don't depend on Slipway's
# process. `npm run down -- --all` also stops HAProxy. Idempotent.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/supervisor.sh"
if has_systemd && [ -f "$SYSTEMD_UNIT" ]; then
  if systemctl is-active --quiet slipway; then
    step "Stopping Slipway (systemd unit slipway)"
    as_root systemctl stop slipway || fail "systemctl stop slipway"
  else
    step "Slipway is not running"
  fi
fi
if pid_alive "$SUPERVISOR_PID" "cli/main" || pid_alive "$SERVER_PID" "cli/main"; then
  step "Stopping Slipway (supervisor pid $(cat "$SUPERVISOR_PID" 2>/dev/null || echo -), server pid $(cat "$SERVER_PID" 2>/dev/null || echo -))"
  stop_slipway_processes
elif ! has_systemd; then
  step "Slipway is not running"
fi
rm -f "$SUPERVISOR_PID" "$SERVER_PID"
if [ "${1:-}" = "--all" ] && [ -s "$SLIPWAY_DATA/haproxy/haproxy.pid" ]; then
  step "Stopping HAProxy"
  kill "$(head -1 "$SLIPWAY_DATA/haproxy/haproxy.pid")" 2>/dev/null || true
fi
