#!/usr/bin/env bash
# Sets up Berth on a fresh machine and runs a first container: installs
# everything (scripts/setup.sh), loads the busybox starter image into the
# default instance (the CLI starts berthd itself), then runs busybox.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
bin/berth load -i build/images/busybox.tar
bin/berth run --rm busybox echo "hello from a Berth container"
