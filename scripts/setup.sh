#!/usr/bin/env bash
# Installs what Berth needs on a fresh Debian 12 machine, as root: the Debian
# packages it runs on, the npm dependencies, the build (TypeScript and the
# native addon) and the busybox starter image archive.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (Berth mounts filesystems and creates cgroups)" >&2
  exit 1
fi

packages=(
  runc conmon tini golang-github-containers-common   # runtime, monitor, --init, seccomp profile
  umoci skopeo busybox-static                        # building the starter image
  attr zstd procps iproute2 util-linux iptables      # tools the engine and tests call
  python3 make g++                                   # node-gyp for the native addon
  docker-registry apache2-utils openssl xz-utils     # test registries, htpasswd, test CAs, xz layers
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "setup: installing npm dependencies"
npm ci --no-audit --no-fund --loglevel=error

echo "setup: building"
npm run build --silent

echo "setup: building the busybox starter image"
scripts/build-busybox-image.sh build/images
