# How Slipway's server is kept running, for up.sh and down.sh (sourced after lib.sh): a systemd
# unit where systemd runs, else Slipway's own supervisor (`slipway supervise`), whose child is
# the server. Both restart the server after a crash.
SUPERVISOR_PID="$RUN_DIR/slipway.pid"
SERVER_PID="$RUN_DIR/slipway-server.pid"
SYSTEMD_UNIT=/etc/systemd/system/slipway.service

has_systemd() { command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; }

# Writes the unit and its environment (the SLIPWAY_* settings of this shell); prints "yes" when
# either changed. KillMode=process: HAProxy, which the server starts, keeps serving the apps
# while Slipway stops or restarts.
write_systemd_unit() {
  local env_file="$RUN_DIR/slipway.env" tmp
  tmp=$(mktemp)
  { echo "PATH=$PATH"; env | grep '^SLIPWAY_' | sort; } >"$tmp"
  local changed=no
  if ! cmp -s "$tmp" "$env_file" 2>/dev/null; then mv "$tmp" "$env_file"; chmod 600 "$env_file"; changed=yes; else rm -f "$tmp"; fi
  tmp=$(mktemp)
  cat >"$tmp" <<UNIT
[Unit]
Description=Slipway (git-push deploys)
After=network-online.target docker.service redis-server.service
StartLimitIntervalSec=0

[Service]
Type=simple
UMask=0077
EnvironmentFile=$env_file
ExecStart=$(command -v node) --enable-source-maps $ROOT/dist/cli/main.js server
Restart=always
RestartSec=2
KillMode=process
TimeoutStopSec=40
StandardOutput=append:$RUN_DIR/slipway.log
StandardError=append:$RUN_DIR/slipway.log

[Install]
WantedBy=multi-user.target
UNIT
  if ! as_root cmp -s "$tmp" "$SYSTEMD_UNIT" 2>/dev/null; then as_root mv "$tmp" "$SYSTEMD_UNIT"; changed=yes; else rm -f "$tmp"; fi
  echo "$changed"
}

# Waits up to $2 seconds for the pid in pid file $1 to be gone.
wait_gone() {
  local i
  for ((i = 0; i < $2 * 5; i++)); do
    [ -s "$1" ] && [ -d "/proc/$(cat "$1")" ] || return 0
    sleep 0.2
  done
  return 1
}

# Stops the supervisor (it stops its server first), then a server left without one (its
# supervisor was killed, or it was started by an older `npm run up`).
stop_slipway_processes() {
  if pid_alive "$SUPERVISOR_PID" supervise; then
    kill "$(cat "$SUPERVISOR_PID")" 2>/dev/null || true
    wait_gone "$SUPERVISOR_PID" 45 || fail "the supervisor (pid $(cat "$SUPERVISOR_PID")) did not stop"
  fi
  # An older `npm run up` wrote the server's own pid where the supervisor's now goes.
  for f in "$SERVER_PID" "$SUPERVISOR_PID"; do
    if pid_alive "$f" "cli/main"; then
      kill "$(cat "$f")" 2>/dev/null || true
      wait_gone "$f" 40 || kill -9 "$(cat "$f")" 2>/dev/null || true
    fi
  done
  rm -f "$SUPERVISOR_PID" "$SERVER_PID"
}
