#!/bin/sh
# Boot the demo guest with its serial console on this terminal.
set -eu
. "$(dirname "$0")/lib.sh"

G=$OUT/guest
[ -f "$G/bzImage" ] || die "no guest in $G: run 'make build' first"
# The uncompressed kernel boots through PVH, skipping the decompression
# that takes most of a bzImage boot under emulation.
kernel=$G/bzImage
[ -f "$G/vmlinux" ] && kernel=$G/vmlinux
say "booting the demo guest under Node.js; 'poweroff -f' in the guest or" \
    "Ctrl-A x ends it"
exec "$TOP/bin/qemu-system-x86_64" -nographic -nic none -m 256M -no-reboot \
    -L "$G/firmware" -kernel "$kernel" -initrd "$G/initramfs.cpio.gz" \
    -append "$(cat "$G/cmdline")" "$@"
