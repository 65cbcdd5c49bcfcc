#!/usr/bin/env bash
# Builds the Gluon image (Dockerfile) with podman where no registry image can be pulled: the base
# is a Debian bookworm rootfs made by debootstrap (Debian's packages only) with this machine's
# node and npm copied in, imported as localhost/gluon-node-base. Then `podman build` with
# NODE_IMAGE set to it (the image's own npm steps need the npm registry), and a smoke test of the
# result. Root, Debian; installs podman and debootstrap when missing.
#
#   bash scripts/build-image-local.sh [ROOTFS_DIR]     # default /var/tmp/gluon-rootfs (kept for the next run)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOTFS=${1:-/var/tmp/gluon-rootfs}
BASE=localhost/gluon-node-base:bookworm
TAG=gluon:$(node -p 'require("./package.json").version')
say() { echo "build-image-local: $*"; }
[ "$(id -u)" = 0 ] || { echo "build-image-local: needs root (debootstrap, podman)" >&2; exit 1; }
if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq podman debootstrap >/dev/null
fi
if [ ! -x "$ROOTFS/usr/bin/apt-get" ]; then
  say "debootstrap bookworm into $ROOTFS"
  debootstrap --variant=minbase bookworm "$ROOTFS" http://deb.debian.org/debian >/dev/null
fi
# node and npm as the official node images have them, and their "node" user (uid 1000).
node_bin=$(command -v node)
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
install -m 0755 "$node_bin" "$ROOTFS/usr/local/bin/node"
rm -rf "$ROOTFS/usr/local/lib/node_modules/npm" && mkdir -p "$ROOTFS/usr/local/lib/node_modules"
cp -a "$npm_dir" "$ROOTFS/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
chroot "$ROOTFS" sh -c 'id node >/dev/null 2>&1 || useradd --uid 1000 --create-home --shell /bin/bash node'
# Behind a TLS-inspecting proxy (NODE_EXTRA_CA_CERTS set here) the build's npm needs its CA too:
# the stand-in base carries it, the Dockerfile stays as it is for everyone else.
changes=(--change 'CMD ["node"]')
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  install -m 0644 "$NODE_EXTRA_CA_CERTS" "$ROOTFS/usr/local/share/extra-ca.crt"
  changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/extra-ca.crt')
fi
say "importing $ROOTFS ($(chroot "$ROOTFS" node --version)) as $BASE"
tar -C "$ROOTFS" -c . | podman import "${changes[@]}" - "$BASE" >/dev/null
say "podman build -t $TAG"
# chroot isolation: no OCI runtime (crun refuses hybrid cgroups on some hosts) is needed to build.
podman build --isolation chroot --network host --build-arg NODE_IMAGE="$BASE" -t "$TAG" .
# Run it: `podman run` needs an OCI runtime that may set rlimits and cgroups, which some hosts
# (sandboxes) refuse; a build step with chroot isolation runs commands in the image anyway.
say "smoke test in $TAG: every bin, then the H→4ℓ analysis on a LocalCluster of 2 workers"
smoke=$(mktemp -d)
trap 'rm -rf "$smoke"' EXIT
cat > "$smoke/Containerfile" <<SMOKE
FROM $TAG
RUN for b in gluon-scheduler gluon-worker gluon-h4l gluon-finalstates gluon-cluster; do \$b --version; done
RUN cd /tmp && gluon-h4l generate --out /tmp/data --scale 0.01 --seed 1 >/dev/null \\
 && gluon-h4l run --no-config --data-dir /tmp/data --n-workers 2 --out /tmp/out --no-dashboard \\
 && test -s /tmp/out/histograms.json && echo "smoke: histograms.json written"
# As compose runs it: a scheduler, a worker started from /opt/gluon, the client against them.
RUN export GLUON_TOKEN=smoke-token-0123456789 && cd /opt/gluon \\
 && { gluon-scheduler --host 127.0.0.1 --port 18786 --no-dashboard > /tmp/sched.log 2>&1 & s=\$!; } \\
 && for i in \$(seq 300); do grep -q '^scheduler at' /tmp/sched.log && break; sleep 0.2; done \\
 && { gluon-worker ws://127.0.0.1:18786 --nthreads 2 --listen-host 127.0.0.1 > /tmp/worker.log 2>&1 & w=\$!; } \\
 && cd /tmp && gluon-h4l run --no-config --scheduler ws://127.0.0.1:18786 --data-dir /tmp/data --out /tmp/out2 --no-dashboard; \\
    rc=\$?; kill -TERM \$w \$s; wait; test \$rc = 0 && test -s /tmp/out2/histograms.json \\
 && echo "smoke: the client ran through a separate scheduler and worker"
SMOKE
podman build --isolation chroot --network host --no-cache -t localhost/gluon-smoke:latest -f "$smoke/Containerfile" "$smoke"
podman rmi localhost/gluon-smoke:latest >/dev/null 2>&1 || true
say "built $TAG"
