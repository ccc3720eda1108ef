#!/usr/bin/env bash
# One machine of the test swarm (test/helpers/swarm.ts): run inside the node's network namespace
# and in new mount and UTS namespaces, it gives dockerd a machine of its own — hostname, /run
# (socket, exec-root, pid file), /var/lib/docker and /etc/docker bound from the node's directory —
# so the node runs with Docker's default paths, as a real machine would, and nothing it mounts
# is seen outside. Usage: swarm-node.sh NODE_DIR HOSTNAME
set -euo pipefail
dir=$1
name=$2
hostname "$name"
mount --bind "$dir/run" /run
mount --bind "$dir/lib" /var/lib/docker
mount --bind "$dir/etc" /etc/docker
exec dockerd
