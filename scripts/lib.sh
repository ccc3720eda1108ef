# Shared helpers for Slipway's set-up scripts: step reporting and daemon liveness checks.
# Sourced, never run. Every step prints what it does; a failing step names itself and why.
set -euo pipefail

SLIPWAY_DATA=${SLIPWAY_DATA:-/var/lib/slipway}
SLIPWAY_REGISTRY=${SLIPWAY_REGISTRY:-127.0.0.1:5000}
SLIPWAY_REDIS_URL=${SLIPWAY_REDIS_URL:-redis://127.0.0.1:6379}
# Redis's password (scripts/infra.sh writes it, 0600); Slipway and the tests read it from here.
SLIPWAY_REDIS_PASSWORD_FILE=${SLIPWAY_REDIS_PASSWORD_FILE:-$SLIPWAY_DATA/redis.password}
export SLIPWAY_REDIS_PASSWORD_FILE
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR="$SLIPWAY_DATA/run"

CURRENT_STEP=""
step() { CURRENT_STEP="$*"; printf -- '-----> %s\n' "$*"; }
info() { printf -- '       %s\n' "$*"; }
fail() { printf -- ' !     %s failed: %s\n' "${CURRENT_STEP:-set-up}" "$*" >&2; exit 1; }
trap 'rc=$?; [ $rc -ne 0 ] && printf -- " !     step \"%s\" failed (exit %s)\n" "$CURRENT_STEP" "$rc" >&2' EXIT

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# A pid file is trusted only if that pid is alive and runs the expected program.
pid_alive() { # pidfile name
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -q -- "$2" "/proc/$pid/cmdline" 2>/dev/null
}

# Prints, one a line, those of the named Debian packages that are not installed.
missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

# The registry takes no credentials and Redis only a password (see README, "Who can reach what"):
# they must not be reachable from other machines. Refuses an address that is not loopback, saying what to set.
require_loopback() { # what host[:port]-or-url setting
  local host=$2
  host=${host#*://}; host=${host##*@}; host=${host%%/*}
  case "$host" in
    \[*\]*) host=${host%%]*}; host=${host#[} ;;
    *) host=${host%:*} ;;
  esac
  if [[ $host =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ || $host == localhost || $host == ::1 ]]; then return 0; fi
  CURRENT_STEP="checking where the $1 listens"
  fail "$3=$2: the $1 takes no credentials, so it must listen on loopback only (127.0.0.1); a remote $1 is not supported"
}

# Every socket listening on PORT is bound to a loopback address.
listens_on_loopback_only() { # port [a process name allowed beyond loopback]
  local addrs
  addrs=$(ss -H -ltnp "sport = :$1" 2>/dev/null | { if [ -n "${2:-}" ]; then grep -v "((\"$2\","; else cat; fi; } | awk '{ print $4 }' | sed 's/:[0-9]*$//')
  [ -n "$addrs" ] || return 0
  ! grep -Evq '^(127\.[0-9.]+|\[::1\])$' <<<"$addrs"
}

wait_for() { # seconds description command...
  local secs=$1 what=$2; shift 2
  local i
  for ((i = 0; i < secs * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  fail "$what did not come up within ${secs}s"
}

ensure_node_modules() {
  cd "$ROOT"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
     || [ ! -e node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then
    step "Installing node modules (npm ci; better-sqlite3 compiles from source, ~2 min)"
    npm ci --no-audit --no-fund || fail "npm ci"
  fi
}

# Installs the Debian packages not installed yet (idempotent): install_missing WHAT pkg...
install_missing() {
  local what=$1; shift
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    step "$what present ($*)"
    return 0
  fi
  step "Installing $what: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq || fail "apt-get update"
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || fail "apt-get install ${missing[*]}"
}

# Builds the dashboard (ui/ → ui/dist, Vite) when a source is newer than the last build.
build_ui() {
  cd "$ROOT"
  if [ -f ui/dist/index.html ] && [ -z "$(find ui package-lock.json -path ui/dist -prune -o -newer ui/dist/index.html -type f -print -quit)" ]; then
    step "Dashboard is built (ui/dist)"
    return
  fi
  step "Building the dashboard (ui/ → ui/dist)"
  npx tsc -p ui/tsconfig.json || fail "the dashboard has type errors (ui/src)"
  npx vite build ui --logLevel warn || fail "vite build ui"
}
