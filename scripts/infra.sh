#!/usr/bin/env bash
# Installs (from Debian's packages) and starts what Slipway drives: Docker Engine, the registry
# (also Docker's mirror, so `FROM node:18-slim` builds offline), Redis with an append-only file,
# and seeds base images. Idempotent: every step checks before it acts. HAProxy is installed here
# and started by `slipway server` itself, which owns its config (src/proxy).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Before anything changes: the registry (also Docker's mirror) and Redis take no credentials.
require_loopback registry "$SLIPWAY_REGISTRY" SLIPWAY_REGISTRY
require_loopback Redis "$SLIPWAY_REDIS_URL" SLIPWAY_REDIS_URL

mkdir -p "$RUN_DIR" "$SLIPWAY_DATA/registry" "$SLIPWAY_DATA/redis"
# The data dir holds state, secrets, logs and the registry's storage: its owner's only, re-asserted
# on every run (an older install made it 0755).
chmod 700 "$SLIPWAY_DATA"

# --- packages -------------------------------------------------------------------------------
# iproute2 and iptables: the test swarm (test/helpers/swarm.ts) makes namespaces, a bridge and veths.
PACKAGES=(docker.io docker-registry redis-server haproxy git debootstrap curl ca-certificates iproute2 iptables)
mapfile -t missing < <(missing_packages "${PACKAGES[@]}")
if [ ${#missing[@]} -gt 0 ]; then
  step "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq || fail "apt-get update"
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || fail "apt-get install ${missing[*]}"
else
  step "Debian packages present (${PACKAGES[*]})"
fi

# --- Docker Engine ---------------------------------------------------------------------------
step "Configuring Docker Engine to use the local registry as its mirror"
as_root mkdir -p /etc/docker
# Merge, never clobber: keep whatever else daemon.json says.
changed=$(as_root node -e '
  const fs = require("fs"); const f = "/etc/docker/daemon.json"; const reg = process.argv[1];
  let cfg = {}; try { cfg = JSON.parse(fs.readFileSync(f, "utf8") || "{}"); } catch (e) {
    if (e.code !== "ENOENT") { console.error(f + " is not valid JSON: " + e.message); process.exit(2); } }
  const before = JSON.stringify(cfg);
  const add = (k, v) => { cfg[k] = Array.from(new Set([...(cfg[k] || []), v])); };
  add("registry-mirrors", "http://" + reg); add("insecure-registries", reg);
  if (JSON.stringify(cfg) !== before) { fs.writeFileSync(f, JSON.stringify(cfg, null, 2) + "\n"); console.log("yes"); }
' "$SLIPWAY_REGISTRY") || fail "merging /etc/docker/daemon.json"

if docker info >/dev/null 2>&1; then
  if [ "$changed" = yes ]; then
    info "daemon.json changed: asking dockerd to reload it (SIGHUP)"
    as_root pkill -HUP -x dockerd || true
  fi
  info "dockerd is running"
else
  step "Starting dockerd"
  if ! pid_alive /var/run/docker.pid dockerd; then
    as_root rm -f /var/run/docker.pid /var/run/docker.sock /run/docker/containerd/containerd.pid 2>/dev/null || true
  fi
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    as_root systemctl start docker || fail "systemctl start docker"
  else
    as_root setsid nohup dockerd >"$RUN_DIR/dockerd.log" 2>&1 < /dev/null &
  fi
  wait_for 60 "dockerd (log: $RUN_DIR/dockerd.log)" docker info
fi

# --- registry --------------------------------------------------------------------------------
registry_up() { curl -fsS "http://$SLIPWAY_REGISTRY/v2/" >/dev/null 2>&1; }
if registry_up; then
  step "Registry answers on $SLIPWAY_REGISTRY"
else
  step "Starting the registry on $SLIPWAY_REGISTRY (storage: $SLIPWAY_DATA/registry)"
  cat >"$SLIPWAY_DATA/registry/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $SLIPWAY_DATA/registry/storage
  delete:
    enabled: true
http:
  addr: $SLIPWAY_REGISTRY
YAML
  setsid nohup docker-registry serve "$SLIPWAY_DATA/registry/config.yml" \
    >"$RUN_DIR/registry.log" 2>&1 < /dev/null &
  echo $! >"$RUN_DIR/registry.pid"
  wait_for 20 "registry (log: $RUN_DIR/registry.log)" registry_up
fi
# In swarm mode Slipway's HAProxy serves the registry to the nodes on the cluster address (the
# registry door, docs/ARCHITECTURE.md): the registry itself must still listen on loopback only.
listens_on_loopback_only "${SLIPWAY_REGISTRY##*:}" haproxy \
  || fail "something listens on port ${SLIPWAY_REGISTRY##*:} beyond loopback; the registry must be reachable from this machine only (http.addr: $SLIPWAY_REGISTRY)"

# --- Redis -----------------------------------------------------------------------------------
redis_host=$(node -e 'const u=new URL(process.argv[1]);console.log(u.hostname+" "+(u.port||6379)+" "+decodeURIComponent(u.password))' "$SLIPWAY_REDIS_URL")
read -r rhost rport rpassword <<<"$redis_host"
# Redis asks for a password: the one in the URL, else DATA/redis.password (made here, 0600), so a
# local user who can reach loopback cannot add or remove deploy jobs.
if [ -z "$rpassword" ]; then
  if [ ! -s "$SLIPWAY_REDIS_PASSWORD_FILE" ]; then
    step "Generating Redis's password into $SLIPWAY_REDIS_PASSWORD_FILE"
    (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SLIPWAY_REDIS_PASSWORD_FILE")
  fi
  chmod 600 "$SLIPWAY_REDIS_PASSWORD_FILE"
  rpassword=$(cat "$SLIPWAY_REDIS_PASSWORD_FILE")
fi
rcli() { REDISCLI_AUTH=$rpassword redis-cli --no-auth-warning -h "$rhost" -p "$rport" "$@" 2>/dev/null; }
if redis-cli -h "$rhost" -p "$rport" ping 2>/dev/null | grep -q PONG; then
  # Answers without a password: an older Slipway's Redis, or Debian's own service. Lock it now
  # (from stdin, so the password is never in a command line) and keep it across its restarts.
  step "Redis answers on $rhost:$rport without a password: setting one"
  # redis-cli exits 0 on an error reply too: the answer itself says whether it worked.
  printf '%s' "$rpassword" | redis-cli -h "$rhost" -p "$rport" -x config set requirepass 2>&1 | grep -qx OK || fail "could not set Redis's password"
  rcli config rewrite | grep -qx OK || info "Redis runs without a config file: its password holds until it restarts (this script sets it again)"
elif rcli ping | grep -q PONG; then
  step "Redis answers on $rhost:$rport"
else
  step "Starting Redis on $rhost:$rport (append-only, dir $SLIPWAY_DATA/redis, password required)"
  rm -f "$RUN_DIR/redis.pid"
  conf="$SLIPWAY_DATA/redis/redis.conf"
  (umask 077 && printf 'requirepass %s\n' "$rpassword" >"$conf")
  redis-server "$conf" --bind "$rhost" --port "$rport" --dir "$SLIPWAY_DATA/redis" --appendonly yes --appendfsync always \
    --daemonize yes --pidfile "$RUN_DIR/redis.pid" --logfile "$RUN_DIR/redis.log" \
    --save '' >/dev/null || fail "redis-server (log: $RUN_DIR/redis.log)"
  export REDISCLI_AUTH=$rpassword
  wait_for 20 "redis" bash -c "redis-cli --no-auth-warning -h $rhost -p $rport ping | grep -q PONG"
  unset REDISCLI_AUTH
fi
listens_on_loopback_only "$rport" \
  || fail "Redis on port $rport listens beyond loopback; bind it to $rhost only"
# Jobs must survive a Redis restart or crash, whoever started it: every write reaches the disk
# before Redis answers (deploy jobs are few; the cost is nothing next to a build).
rcli config set appendonly yes >/dev/null || true
rcli config set appendfsync always >/dev/null || true

# --- base images -----------------------------------------------------------------------------
bash "$ROOT/scripts/base-images.sh"
