#!/bin/sh
# Provide an Emscripten toolchain and run commands inside it.
#
#   toolchain.sh setup        make sure a usable toolchain exists
#   toolchain.sh run CMD...   run CMD with the toolchain on PATH
#
# The user's own emcc is used when it is recent enough and meson, ninja
# and pkg-config are there too (QEMU_WASM_TOOLCHAIN=host forces it).
# Otherwise a Debian trixie chroot is bootstrapped into the cache and
# commands run inside it, with the repository, the output folder and
# the cache's work area mounted at the same paths as outside, so that
# paths mean the same thing on both sides.
set -eu
. "$(dirname "$0")/lib.sh"

EMCC_MIN=3.1.50
ROOT=$CACHE/toolchain/trixie
SUITE=trixie
# Everything the builds need; changing this list rebuilds the chroot.
PACKAGES="emscripten meson ninja-build pkg-config python3 python3-venv
python3-pip python3-setuptools python3-wheel python3-pycotap
autoconf automake libtool make patch xz-utils bzip2 ca-certificates
ccache gcc g++ libc6-dev libglib2.0-dev libpixman-1-dev zlib1g-dev
libslirp-dev git file"

version_ge() {
    [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

host_toolchain_ok() {
    [ "${QEMU_WASM_TOOLCHAIN:-}" = chroot ] && return 1
    command -v emcc >/dev/null 2>&1 || return 1
    v=$(emcc -dumpversion 2>/dev/null) || return 1
    if ! version_ge "$v" "$EMCC_MIN"; then
        say "emcc $v on PATH is older than $EMCC_MIN, not using it"
        return 1
    fi
    for t in meson ninja pkg-config python3; do
        command -v $t >/dev/null 2>&1 || {
            say "emcc $v found but $t is missing, not using it"; return 1; }
    done
    mv=$(meson --version)
    version_ge "$mv" 1.5.0 || {
        say "meson $mv is older than 1.5, not using host emcc"; return 1; }
    return 0
}

chroot_stamp() {
    printf '%s\n' "$SUITE" $PACKAGES | recipe_hash
}

setup_chroot() {
    want=$(chroot_stamp)
    if [ -f "$ROOT/.stamp" ] && [ "$(cat "$ROOT/.stamp")" = "$want" ]; then
        return 0
    fi
    [ "$(id -u)" = 0 ] || die "no usable emcc on PATH (need >= $EMCC_MIN," \
        "with meson >= 1.5, ninja, pkg-config); building the Debian" \
        "$SUITE toolchain chroot needs root (debootstrap, chroot)"
    if ! command -v debootstrap >/dev/null 2>&1; then
        say "installing debootstrap"
        apt-get install -y -q debootstrap >/dev/null ||
            die "cannot install debootstrap with apt-get"
    fi
    stage_begin "toolchain (debootstrap $SUITE)"
    rm -rf "$ROOT.tmp"
    mkdir -p "$ROOT.tmp"
    pkgs=$(echo $PACKAGES | tr ' ' ,)
    debootstrap --variant=minbase --include="$pkgs" "$SUITE" "$ROOT.tmp" \
        "$DEBIAN_MIRROR" > "$CACHE/toolchain/debootstrap.log" 2>&1 ||
        die "debootstrap of $SUITE failed, see" \
            "$CACHE/toolchain/debootstrap.log"
    rm -rf "$ROOT"
    mv "$ROOT.tmp" "$ROOT"
    echo "$want" > "$ROOT/.stamp"
    stage_end
}

setup() {
    mkdir -p "$CACHE/toolchain" "$CACHE/work"
    if host_toolchain_ok; then
        echo host > "$CACHE/toolchain/kind"
        say "using host emcc $(emcc -dumpversion)"
        return 0
    fi
    setup_chroot
    echo chroot > "$CACHE/toolchain/kind"
    say "using emcc $(run emcc -dumpversion 2>/dev/null) from the $SUITE chroot"
}

run() {
    kind=$(cat "$CACHE/toolchain/kind" 2>/dev/null) ||
        die "toolchain not set up; run '$0 setup' first"
    export CCACHE_DIR="$CACHE/ccache" TOP CACHE OUT
    if [ "$kind" = host ]; then
        exec "$@"
    fi
    # A private mount namespace: the bind mounts vanish with the command.
    for d in "$TOP" "$CACHE/work" "$CACHE/sources" "$CACHE/ccache" "$OUT"; do
        mkdir -p "$d" "$ROOT$d"
    done
    exec unshare --mount --propagation private /bin/sh -eu -c '
        R=$1; shift
        mount -t proc proc "$R/proc"
        for d in "$TOP" "$CACHE/work" "$CACHE/sources" "$CACHE/ccache" "$OUT"; do
            mount --bind "$d" "$R$d"
        done
        cd "$PWD"
        exec chroot "$R" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" \
            PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
            LANG=C.UTF-8 CCACHE_DIR="$CCACHE_DIR" \
            /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$PWD" "$@"
    ' sh "$ROOT" "$@"
}

case ${1:-} in
setup) setup ;;
run) shift; [ $# -gt 0 ] || die "usage: $0 run CMD..."; run "$@" ;;
*) die "usage: $0 setup | run CMD..." ;;
esac
