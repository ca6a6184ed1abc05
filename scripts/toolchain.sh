#!/bin/sh
# Provide an Emscripten toolchain and run commands inside it.
#
#   toolchain.sh setup        make sure a usable toolchain exists
#   toolchain.sh run CMD...   run CMD with the toolchain on PATH
#   toolchain.sh id           print what identifies the toolchain in use
#
# The user's own emcc is used when it is recent enough, does not have
# the proxying bug below, and meson, ninja and pkg-config are there too
# (QEMU_WASM_TOOLCHAIN=host uses it despite the bug).  Otherwise a
# Debian trixie chroot is bootstrapped into the cache and commands run
# inside it, with the repository, the output folder and the cache's work
# area mounted at the same paths as outside, so that paths mean the same
# thing on both sides.  The fixes in toolchain/emscripten/ are applied
# to its Emscripten, and the libc archives that hold the patched files
# are updated.
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
EM_FIXES=$TOP/toolchain/emscripten
# The prebuilt libraries that hold the files EM_FIXES patch: the
# threaded libc, with and without assertions (recompile-libc.py does
# both their object and their LTO bitcode archives).
EM_FIXED_LIBS="libc-mt libc-mt-debug"
# For the commands run in the toolchain.
export CCACHE_DIR="$CACHE/ccache" TOP CACHE OUT

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
    if proxy_finish_races "$(dirname "$(readlink -f "$(command -v emcc)")")"
    then
        set -- "emcc $v on PATH wakes a synchronous proxied call's caller" \
            "after unlocking (fixed by emscripten-core/emscripten#26582);" \
            "QEMU hangs with it under load"
        if [ "${QEMU_WASM_TOOLCHAIN:-}" = host ]; then
            say "warning: $*"
            return 0
        fi
        say "$*; not using it (QEMU_WASM_TOOLCHAIN=host would)"
        return 1
    fi
    return 0
}

# Whether Emscripten in $1 signals the condition variable of a finished
# emscripten_proxy_sync() after unlocking its mutex.  The caller's
# context lives on its stack, so the signal can hit a reused frame:
# see toolchain/emscripten/0001-*.
proxy_finish_races() {
    f=$1/system/lib/pthread/proxying.c
    [ -f "$f" ] || return 1
    [ "$(awk '/^void emscripten_proxy_finish/ { f = 1 }
              f && /pthread_mutex_unlock\(&ctx->sync.mutex\)/ { u = 1 }
              f && /pthread_cond_signal\(&ctx->sync.cond\)/ { print u + 0; exit }
             ' "$f")" = 1 ]
}

# Which of the two emscripten_proxy_finish() calls first in the libc
# archive $2 of the chroot $1: "pthread_cond_signal" once the fix is
# compiled in.  The archives in lto/ hold LLVM bitcode, the others wasm
# objects; QEMU links with -flto, so the former are the ones it uses.
archived_finish_order() {
    # shellcheck disable=SC2016
    (in_chroot "$1" /bin/sh -c '
        cd "$(mktemp -d)"
        ar=$(ls /usr/bin/llvm-ar-* | tail -n 1)
        v=${ar##*-}
        "$ar" x "$0" proxying.o
        { "llvm-dis-$v" proxying.o -o - 2>/dev/null ||
              "llvm-objdump-$v" -dr proxying.o; } |
            awk "/^define.*@emscripten_proxy_finish\\(/ { f = 1 }
                 /<emscripten_proxy_finish>:/ { f = 2 }
                 f == 1 && /^}/ || f == 2 && /^\$/ { exit }
                 f" |
            grep -o -m 1 -E "pthread_(cond_signal|mutex_unlock)"
        cd / && rm -rf "$OLDPWD"' "$2")
}

chroot_stamp() {
    { printf '%s\n' "$SUITE" $PACKAGES $EM_FIXED_LIBS
      cat "$EM_FIXES"/*.patch "$TOP/toolchain/recompile-libc.py"; } |
        recipe_hash
}

# Patch Debian's Emscripten in the chroot at $1, just bootstrapped, and
# compile the patched C files into the prebuilt libraries.
fix_emscripten() {
    em=/usr/share/emscripten
    srcs=
    for p in "$EM_FIXES"/*.patch; do
        # The chroot's patch: a fresh host need not have one.
        (in_chroot "$1" patch -s -d "$em" -p1 -i "$p") ||
            die "cannot apply $p"
        srcs="$srcs $(sed -n 's|^+++ b/||p' "$p")"
    done
    # shellcheck disable=SC2086
    (in_chroot "$1" python3 "$TOP/toolchain/recompile-libc.py" "$em" \
        $EM_FIXED_LIBS -- $srcs) >> "$CACHE/toolchain/debootstrap.log" 2>&1 ||
        die "cannot recompile Emscripten's libc, see" \
            "$CACHE/toolchain/debootstrap.log"
    lib=$em/cache/sysroot/lib/wasm32-emscripten
    for a in $EM_FIXED_LIBS; do
        for f in "$lib/$a.a" "$lib/lto/$a.a"; do
            [ "$(archived_finish_order "$1" "$f")" = pthread_cond_signal ] ||
                die "toolchain/emscripten fixes not compiled into $f"
        done
    done
    return 0
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
    # Keep the packages: a changed fix or package list bootstraps again.
    mkdir -p "$CACHE/toolchain/debs"
    debootstrap --variant=minbase --include="$pkgs" \
        --cache-dir="$CACHE/toolchain/debs" "$SUITE" "$ROOT.tmp" \
        "$DEBIAN_MIRROR" > "$CACHE/toolchain/debootstrap.log" 2>&1 ||
        die "debootstrap of $SUITE failed, see" \
            "$CACHE/toolchain/debootstrap.log"
    fix_emscripten "$ROOT.tmp"
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

# Which toolchain setup chose: host or chroot.
toolchain_kind() {
    cat "$CACHE/toolchain/kind" 2>/dev/null ||
        die "toolchain not set up; run '$0 setup' first"
}

run() {
    kind=$(toolchain_kind)
    if [ "$kind" = host ]; then
        exec "$@"
    fi
    in_chroot "$ROOT" "$@"
}

# Run a command in the chroot at $1, in place of this shell: one process
# from the caller's point of view, so that a signal reaches the command.
in_chroot() {
    # A private mount namespace: the bind mounts vanish with the command.
    for d in "$TOP" "$CACHE/work" "$CACHE/sources" "$CACHE/ccache" "$OUT"; do
        mkdir -p "$d" "$1$d"
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
    ' sh "$@"
}

# The toolchain in use: emcc links Emscripten's libraries without the
# build tools knowing, so a change of toolchain means linking again.
toolchain_id() {
    kind=$(toolchain_kind)
    if [ "$kind" = host ]; then
        echo "host $(emcc -dumpversion)"
    else
        echo "chroot $(cat "$ROOT/.stamp")"
    fi
}

case ${1:-} in
setup) setup ;;
run) shift; [ $# -gt 0 ] || die "usage: $0 run CMD..."; run "$@" ;;
id) toolchain_id ;;
*) die "usage: $0 setup | run CMD... | id" ;;
esac
