#!/usr/bin/env bash
# Builds the starter image busybox:latest from Debian's busybox-static
# (/bin/busybox) with tools independent of Berth: umoci writes an OCI image
# layout, skopeo converts it to a docker-archive tar and an OCI layout tar.
#
# Usage: scripts/build-busybox-image.sh [OUT_DIR]    (default: build/images)
#
# Writes OUT_DIR/busybox.tar (docker-archive), OUT_DIR/busybox-oci.tar
# (OCI layout tar) and OUT_DIR/busybox-oci (the OCI layout directory). Does
# nothing when these exist and were built from the same busybox binary and
# the same version of this script. Must run as root, because umoci unpacks
# and repacks the root filesystem with real ownership.
set -euo pipefail

OUT_DIR=${1:-build/images}
BUSYBOX=/bin/busybox
REFERENCE=busybox:latest

log() {
  printf 'build-busybox-image: %s\n' "$*" >&2
}

fail() {
  log "error: $*"
  exit 1
}

for tool in umoci skopeo sha256sum; do
  command -v "$tool" >/dev/null || fail "$tool not found; install it with: apt-get install $tool"
done
[ -x "$BUSYBOX" ] || fail "$BUSYBOX not found; install it with: apt-get install busybox-static"
[ "$(id -u)" = 0 ] || fail "must run as root (umoci needs it to keep file ownership)"

mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)

# The stamp records what the outputs were built from, so a rerun is a no-op
# until the busybox binary or this script changes.
stamp_file="$OUT_DIR/.busybox.stamp"
expected_stamp=$(sha256sum "$BUSYBOX" "${BASH_SOURCE[0]}" | cut -d' ' -f1 | tr '\n' ' ')
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$expected_stamp" ] &&
  [ -f "$OUT_DIR/busybox.tar" ] && [ -f "$OUT_DIR/busybox-oci.tar" ] && [ -d "$OUT_DIR/busybox-oci" ]; then
  log "up to date: $OUT_DIR/busybox.tar"
  exit 0
fi

work=$(mktemp -d "$OUT_DIR/.busybox-build.XXXXXX")
cleanup() {
  rm -rf "$work"
}
trap cleanup EXIT

log "creating an OCI layout with umoci in $work/oci"
umoci init --layout "$work/oci"
umoci new --image "$work/oci:latest"
umoci unpack --image "$work/oci:latest" "$work/bundle" >/dev/null
rootfs="$work/bundle/rootfs"

log "populating the root filesystem from $BUSYBOX"
install -d -m 0755 "$rootfs/bin" "$rootfs/sbin" "$rootfs/usr/bin" "$rootfs/usr/sbin" \
  "$rootfs/etc" "$rootfs/home" "$rootfs/var" "$rootfs/dev" "$rootfs/proc" "$rootfs/sys"
install -d -m 0700 "$rootfs/root"
install -d -m 1777 "$rootfs/tmp"
install -m 0755 "$BUSYBOX" "$rootfs/bin/busybox"

# Every applet becomes a hard link to /bin/busybox, as in Docker's busybox image.
applet_count=0
while read -r applet; do
  case "$applet" in
    bin/busybox | linuxrc | '') continue ;;
  esac
  install -d -m 0755 "$rootfs/$(dirname "$applet")"
  ln -f "$rootfs/bin/busybox" "$rootfs/$applet"
  applet_count=$((applet_count + 1))
done < <("$BUSYBOX" --list-full)
log "linked $applet_count applets"

cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
EOF
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group"

log "packing the layer and writing the image config"
umoci repack --image "$work/oci:latest" "$work/bundle" >/dev/null
umoci config --image "$work/oci:latest" \
  --os linux --architecture amd64 \
  --config.env 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --config.cmd sh \
  --history.created_by 'scripts/build-busybox-image.sh: CMD ["sh"]'
umoci gc --layout "$work/oci"

log "converting with skopeo to docker-archive and OCI layout tars"
rm -f "$work/busybox.tar" "$work/busybox-oci.tar"
skopeo copy --quiet "oci:$work/oci:latest" "docker-archive:$work/busybox.tar:$REFERENCE"
skopeo copy --quiet "oci:$work/oci:latest" "oci-archive:$work/busybox-oci.tar:$REFERENCE"

# Replace the outputs only now, so an interrupted build never leaves a partial archive.
rm -rf "$OUT_DIR/busybox-oci"
mv "$work/oci" "$OUT_DIR/busybox-oci"
mv -f "$work/busybox.tar" "$OUT_DIR/busybox.tar"
mv -f "$work/busybox-oci.tar" "$OUT_DIR/busybox-oci.tar"
printf '%s' "$expected_stamp" >"$stamp_file"
log "wrote $OUT_DIR/busybox.tar, $OUT_DIR/busybox-oci.tar and $OUT_DIR/busybox-oci"
