#!/bin/sh
# Builds the root file system of the network benchmark's image as a tar
# archive for `docker import`, against berthd or dockerd. It contains static
# busybox, Debian's iperf3 with the libraries that ldd lists, and lookup-loop,
# a small program that times repeated name lookups in one process.
#
#   bench/iperf3-image/build.sh OUTPUT.tar
#
# Needs iperf3 (apt-get install iperf3), busybox-static and gcc on the host.
set -eu

output=${1:?usage: build.sh OUTPUT.tar}
here=$(cd "$(dirname "$0")" && pwd)
for program in /usr/bin/iperf3 /bin/busybox gcc; do
    command -v "$program" > /dev/null || { echo "build.sh: $program is missing; install iperf3, busybox-static and gcc" >&2; exit 1; }
done

root=$(mktemp -d /tmp/berth-iperf3-root.XXXXXX)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/bin" "$root/usr/bin" "$root/etc" "$root/tmp"
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done

cp /usr/bin/iperf3 "$root/usr/bin/iperf3"
gcc -O2 -Wall -Wextra -o "$root/usr/bin/lookup-loop" "$here/lookup-loop.c"

# Every library ldd lists, at the same path, including the dynamic loader.
for binary in /usr/bin/iperf3 "$root/usr/bin/lookup-loop"; do
    ldd "$binary" | awk '/=> \// { print $3 } /^\t\// { print $1 }'
done | sort -u | while read -r library; do
    cp --parents -L "$library" "$root"
done

printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
# The same lookup order as Debian's default: /etc/hosts, then DNS.
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"

tar -C "$root" -cf "$output" .
echo "build.sh: wrote $output ($(du -k "$output" | cut -f1) KiB)"
