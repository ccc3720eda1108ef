#!/usr/bin/env bash
# `npm run up`: installs and starts everything Slipway needs, then Slipway itself under a
# supervisor that restarts it after a crash (systemd where it runs, else `slipway supervise`);
# prints how to push. Idempotent: a second run checks each part and changes nothing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/supervisor.sh"
SLIPWAY_HOST=${SLIPWAY_HOST:-127.0.0.1}
SLIPWAY_PORT=${SLIPWAY_PORT:-7100}
export SLIPWAY_DATA SLIPWAY_HOST SLIPWAY_PORT

ensure_node_modules
bash "$ROOT/scripts/infra.sh"
bash "$ROOT/scripts/bench-tools.sh"

cd "$ROOT"
rebuilt=no
if [ ! -f dist/.built ] || [ -n "$(find src tsconfig.json package-lock.json -newer dist/.built -print -quit)" ]; then
  step "Compiling TypeScript"
  rm -rf dist
  npx tsc -p tsconfig.json || fail "tsc"
  touch dist/.built
  rebuilt=yes
else
  step "Compiled code is up to date"
fi

# The server serves the dashboard from ui/dist (a rebuilt one without a restart).
build_ui

if [ -w /usr/local/bin ] && [ "$(readlink -f /usr/local/bin/slipway 2>/dev/null)" != "$ROOT/bin/slipway" ]; then
  step "Putting slipway on the PATH (/usr/local/bin/slipway)"
  ln -sf "$ROOT/bin/slipway" /usr/local/bin/slipway
fi

healthy() { curl -fsS "http://$SLIPWAY_HOST:$SLIPWAY_PORT/healthz" >/dev/null 2>&1; }
if has_systemd; then
  # systemd restarts the server after a crash (Restart=always) and starts it at boot.
  unit_changed=$(write_systemd_unit)
  if [ "$unit_changed" = yes ] || [ "$rebuilt" = yes ] || ! systemctl is-active --quiet slipway; then
    step "Starting Slipway under systemd (unit $SYSTEMD_UNIT)"
    as_root systemctl daemon-reload
    as_root systemctl enable --quiet slipway
    as_root systemctl restart slipway || fail "systemctl restart slipway (see: journalctl -u slipway)"
    wait_for 60 "slipway server (log: $RUN_DIR/slipway.log)" healthy
  else
    step "Slipway is running under systemd"
  fi
else
  # No systemd: Slipway's own supervisor (`slipway supervise`) restarts the server after a crash.
  if pid_alive "$SUPERVISOR_PID" supervise && healthy && [ "$rebuilt" = no ]; then
    step "Slipway is running (supervisor pid $(cat "$SUPERVISOR_PID"), server pid $(cat "$SERVER_PID" 2>/dev/null))"
  else
    if pid_alive "$SUPERVISOR_PID" supervise; then step "Restarting Slipway with the new build"; else step "Starting Slipway under its supervisor"; fi
    stop_slipway_processes
    # umask 077: the server's log and everything it writes stay private (the server sets it too).
    umask 077
    setsid nohup node --enable-source-maps "$ROOT/dist/cli/main.js" supervise >>"$RUN_DIR/slipway.log" 2>&1 </dev/null &
    echo $! >"$SUPERVISOR_PID"
    wait_for 60 "slipway server (log: $RUN_DIR/slipway.log)" healthy
  fi
fi

cat <<MSG

Slipway is up.
  Dashboard:    http://$SLIPWAY_HOST:$SLIPWAY_PORT/   (sign in: the admin token, or \`slipway login:ui\`)
  API:          http://$SLIPWAY_HOST:$SLIPWAY_PORT   (log: $RUN_DIR/slipway.log)
  Admin token:  $SLIPWAY_DATA/admin-token
  Apps served:  http://APP.${SLIPWAY_APPS_DOMAIN:-localhost}:${SLIPWAY_HTTP_PORT:-80}

Deploy an app:
  slipway apps:create demo
  git remote add slipway http://$SLIPWAY_HOST:$SLIPWAY_PORT/git/demo.git
  git push slipway main          # password: the admin token (or any API token)
MSG
