#!/bin/sh
# What the benchmark needs beyond `make build native`:
#
#   setup.sh             the i386 guest and the v86 npm package
#   setup.sh cbench DIR  cbench, as DIR/cbench-x86_64 and DIR/cbench-i386
#                        (bench/run.mjs does this itself)
#
# cbench is built freestanding (bench/cbench.c: raw system calls, no
# libc), so the host's gcc makes the i386 binary too without a 32-bit C
# library (gcc-multilib); only binutils' 32-bit linker mode is used.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"

# Rebuilt when the source or these flags change; make is not worth it
# for two files.
cbench() { # outdir
    command -v gcc >/dev/null 2>&1 ||
        die "gcc is needed to build bench/cbench.c (Debian: apt-get install gcc)"
    src=$TOP/bench/cbench.c
    flags="-O2 -static -nostdlib -ffreestanding -fno-pie -no-pie
-fno-stack-protector -fno-asynchronous-unwind-tables -Wall -Wextra -Werror"
    mkdir -p "$1"
    for arch in x86_64 i386; do
        out=$1/cbench-$arch
        m=-m64
        [ $arch = x86_64 ] || m=-m32
        want=$(printf '%s\n' "$flags $m" | cat "$src" - | recipe_hash)
        [ -f "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$want" ] &&
            continue
        # shellcheck disable=SC2086 # flags are words
        gcc $m $flags -o "$out" "$src" ||
            die "cannot build cbench for $arch with $(gcc --version | head -n1)"
        echo "$want" > "$out.stamp"
    done
}

case ${1:-} in
cbench)
    [ $# -eq 2 ] || die "usage: $0 cbench OUTDIR"
    cbench "$2"
    exit 0
    ;;
'') ;;
*) die "usage: $0 [cbench OUTDIR]" ;;
esac

# The i386 guest for v86 (and for QEMU's i386 columns); cached.
"$TOP/scripts/guest.sh" i386

# v86 as pinned in package-lock.json.
if [ ! -f "$TOP/node_modules/v86/package.json" ]; then
    command -v npm >/dev/null 2>&1 ||
        die "npm is needed for v86 (Debian: apt-get install npm)"
    say "installing npm packages (package-lock.json)"
    (cd "$TOP" && npm install --no-audit --no-fund) ||
        die "npm install failed"
fi
