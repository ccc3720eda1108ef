#!/usr/bin/env bash
# `npm run up`: installs and starts everything Slipway needs, then Slipway itself, in the
# background; prints how to push. Idempotent: a second run checks each part and changes nothing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
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

if [ -w /usr/local/bin ] && [ "$(readlink -f /usr/local/bin/slipway 2>/dev/null)" != "$ROOT/bin/slipway" ]; then
  step "Putting slipway on the PATH (/usr/local/bin/slipway)"
  ln -sf "$ROOT/bin/slipway" /usr/local/bin/slipway
fi

healthy() { curl -fsS "http://$SLIPWAY_HOST:$SLIPWAY_PORT/healthz" >/dev/null 2>&1; }
pidfile="$RUN_DIR/slipway.pid"
if pid_alive "$pidfile" "cli/main" && healthy && [ "$rebuilt" = no ]; then
  step "Slipway is running (pid $(cat "$pidfile"))"
else
  if pid_alive "$pidfile" "cli/main"; then
    step "Restarting Slipway with the new build"
    kill "$(cat "$pidfile")" 2>/dev/null || true
    for _ in $(seq 50); do pid_alive "$pidfile" "cli/main" || break; sleep 0.2; done
  else
    step "Starting Slipway server"
  fi
  setsid nohup node --enable-source-maps "$ROOT/dist/cli/main.js" server >>"$RUN_DIR/slipway.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  wait_for 60 "slipway server (log: $RUN_DIR/slipway.log)" healthy
fi

cat <<MSG

Slipway is up.
  API:          http://$SLIPWAY_HOST:$SLIPWAY_PORT   (log: $RUN_DIR/slipway.log)
  Admin token:  $SLIPWAY_DATA/admin-token
  Apps served:  http://APP.${SLIPWAY_APPS_DOMAIN:-localhost}:${SLIPWAY_HTTP_PORT:-80}

Deploy an app:
  slipway apps:create demo
  git remote add slipway http://$SLIPWAY_HOST:$SLIPWAY_PORT/git/demo.git
  git push slipway main          # password: the admin token (or any API token)
MSG
