#!/usr/bin/env bash
# What the benchmarks need besides Slipway's own daemons (bench/needs.ts checks for them):
# Debian's wrk (load) and nginx (the comparison proxy in bench/proxy-overhead). Run by
# `npm run up`; idempotent. nginx's package would start a server on port 80, where HAProxy
# serves the apps, so it is installed with service start-up refused and left disabled: the
# bench runs its own nginx with its own config.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PACKAGES=(wrk nginx)
mapfile -t missing < <(missing_packages "${PACKAGES[@]}")
if [ ${#missing[@]} -eq 0 ]; then
  step "Bench tools present (${PACKAGES[*]})"
  exit 0
fi
step "Installing bench tools: ${missing[*]}"
policy=/usr/sbin/policy-rc.d
made_policy=no
if [ ! -e "$policy" ]; then
  # Debian's hook for "may a package start its service now?": 101 means no.
  as_root bash -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
  made_policy=yes
fi
export DEBIAN_FRONTEND=noninteractive
status=0
as_root apt-get update -qq && as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
[ "$made_policy" = yes ] && as_root rm -f "$policy"
[ $status -eq 0 ] || fail "apt-get install ${missing[*]}"
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  as_root systemctl disable --now nginx >/dev/null 2>&1 || true
fi
info "installed; nginx's own service is not started (port 80 is HAProxy's)"
