#!/bin/sh
# Cross-build the libraries QEMU links against (zlib, libffi, pcre2,
# Pixman, GLib) as static wasm32 libraries into one prefix.
#
#   deps.sh           build what is missing; print the prefix on stdout
#   deps.sh --check   also link and run a small GLib program with node
#
# The prefix is $CACHE/work/deps-<hash>; the hash covers this script,
# the recipes in deps/ (not deps/tests/), their sources.lock lines, the
# tarballs used and the emcc/clang version. A changed recipe thus gives a
# new prefix and an unchanged one is a no-op. Libraries are installed
# into deps-<hash>.tmp, which is renamed once all are in, so a half build
# is never taken for a finished one; a failed run resumes after the last
# library that finished. Full logs go to $OUT/logs/deps/<lib>.log.
#
# Each library is built by this script run again inside the toolchain:
#   deps.sh --inside LIB STAGING WORKDIR TARBALL
# which sources deps/LIB.sh and calls its build function there.
set -eu
. "$(dirname "$0")/lib.sh"

# Build order: GLib needs zlib, libffi and pcre2; Pixman needs nothing.
LIBS="zlib libffi pcre2 pixman glib"

# Flags for every object. -pthread everywhere: QEMU uses threads, and
# wasm-ld refuses shared memory when any object lacks atomics and
# bulk-memory. WASM_BIGINT (link only; emcc warns about it on compile
# lines) passes i64 to JavaScript as BigInt, which libffi's wasm32
# ffi_call expects; QEMU's link sets it too.
DEPS_CFLAGS="-O2 -pthread"
DEPS_LDFLAGS="-pthread -sWASM_BIGINT"

# ---- inside the toolchain -------------------------------------------

# Words to a meson array: -O2 -pthread -> '-O2', '-pthread'
meson_list() {
    for w in "$@"; do printf "'%s', " "$w"; done
}

# The per-build half of the meson cross setup: flags and where our own
# .pc files are. Only our prefix is searched, never the chroot's native
# GLib and zlib.
write_machine_file() {
    cat > "$WORK/machine.txt" <<EOF
[properties]
pkg_config_libdir = '$PREFIX/lib/pkgconfig'

[built-in options]
c_args = [$(meson_list $DEPS_CFLAGS)]
cpp_args = [$(meson_list $DEPS_CFLAGS)]
c_link_args = [$(meson_list $DEPS_LDFLAGS -L"$PREFIX/lib")]
cpp_link_args = [$(meson_list $DEPS_LDFLAGS -L"$PREFIX/lib")]
# Otherwise meson's threads dependency puts -sPTHREAD_POOL_SIZE=4 into
# the .pc files, i.e. into QEMU's link; QEMU decides that itself.
c_thread_count = 0
cpp_thread_count = 0
EOF
}

# Helpers for the recipes.
autotools_configure() {
    ./configure --host=wasm32-unknown-emscripten --prefix="$PREFIX" \
        --enable-static --disable-shared "$@"
}

meson_configure() {
    meson setup "$WORK/build" \
        --cross-file "$TOP/deps/emscripten-cross.txt" \
        --cross-file "$WORK/machine.txt" \
        --prefix "$PREFIX" --libdir lib \
        --default-library static --buildtype release -Doptimization=2 \
        --wrap-mode nodownload "$@"
}

meson_install() {
    meson compile -C "$WORK/build" -j "$JOBS"
    meson install -C "$WORK/build" --no-rebuild
}

inside() {
    lib=$1 PREFIX=$2 WORK=$3 tarball=$4
    # The toolchain's environment is clean when it is the chroot; a host
    # emsdk shell may carry settings that would reach the native libs.
    unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR CPATH C_INCLUDE_PATH \
        LIBRARY_PATH
    export CC=emcc CXX=em++ AR=emar RANLIB=emranlib NM=emnm STRIP=emstrip
    export CFLAGS="$DEPS_CFLAGS" CXXFLAGS="$DEPS_CFLAGS"
    export CPPFLAGS="-I$PREFIX/include" LDFLAGS="$DEPS_LDFLAGS -L$PREFIX/lib"
    export PKG_CONFIG="pkg-config --static"
    export PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig"
    export PREFIX WORK JOBS
    if ccache=$(command -v ccache); then
        # emcc runs clang through this (with execv: a full path); BASEDIR
        # makes paths relative so that a rebuild under another hash hits.
        export EM_COMPILER_WRAPPER="$ccache" CCACHE_BASEDIR="$CACHE/work"
    fi
    rm -rf "$WORK"
    mkdir -p "$WORK/src" "$PREFIX/lib/pkgconfig" "$PREFIX/include"
    tar -xf "$tarball" -C "$WORK/src" --strip-components=1
    write_machine_file
    . "$TOP/deps/$lib.sh"
    cd "$WORK/src"
    set -x
    build
}

# ---- outside --------------------------------------------------------

toolchain() { "$TOP/scripts/toolchain.sh" "$@"; }

# The chroot starts with a clean environment: hand on what lib.sh reads,
# and CCACHE_DISABLE=1 (for timing a really cold build).
in_toolchain() {
    toolchain run env QEMU_WASM_CACHE="$CACHE" QEMU_WASM_OUT="$OUT" \
        JOBS="$JOBS" ${CCACHE_DISABLE:+CCACHE_DISABLE=$CCACHE_DISABLE} "$@"
}

recipe_source() { (. "$TOP/deps/$1.sh" && echo "$SOURCE"); }

# The orig tarball fetch-source.sh gave us: the locked name when it is
# there, otherwise the one of a newer version it fell back to.
orig_tarball() { # pkg dir
    f=$(awk -v p="$1" '$1 == p && $3 ~ /\.orig\.tar\./ { print $3; exit }' \
        "$TOP/deps/sources.lock")
    if [ -n "$f" ] && [ -f "$2/$f" ]; then
        echo "$2/$f"
        return
    fi
    set -- "$2/$1"_*.orig.tar.*
    [ -f "$1" ] || die "no orig tarball for $pkg in ${1%/*}"
    echo "$1"
}

fetch_all() {
    for lib in $LIBS; do
        pkg=$(recipe_source "$lib")
        dir=$("$TOP/scripts/fetch-source.sh" "$pkg")
        eval "tarball_$lib=\$(orig_tarball \"\$pkg\" \"\$dir\")"
    done
}

# What the prefix depends on; everything in deps/ but sources.lock (its
# other lines are QEMU's) and the tests.
hash_inputs() {
    for lib in $LIBS; do
        pkg=$(recipe_source "$lib")
        awk -v p="$pkg" '$1 == p' "$TOP/deps/sources.lock"
        eval "basename \"\$tarball_$lib\""
    done
    echo "$DEPS_CFLAGS | $DEPS_LDFLAGS"
    echo "$EMCC_VERSION"
}

recipe_files() {
    echo "$TOP/scripts/deps.sh"
    find "$TOP/deps" -path "$TOP/deps/tests" -prune -o -type f \
        ! -name sources.lock ! -name '*~' -print | LC_ALL=C sort
}

# Make the staging prefix the real one: paths written at install time
# (.pc files, scripts) name the staging folder. Strings compiled into
# the libraries (GLib's sysconfdir, gio module dir, ...) keep it; they
# are paths in the wasm program's virtual file system and unused there.
finish() { # staging prefix
    grep -rlI --exclude='.built-*' -F "$1" "$1" | while read -r f; do
        sed -i "s|$1|$2|g" "$f"
    done
    # libtool archives are of no use for static linking and only carry
    # more absolute paths.
    find "$1" -name '*.la' -delete
    rm -f "$1"/.built-*
    {
        echo "# static wasm32 libraries built by scripts/deps.sh"
        echo "CFLAGS: $DEPS_CFLAGS"
        echo "LDFLAGS: $DEPS_LDFLAGS"
        hash_inputs
    } > "$1/BUILD-INFO"
    mv "$1" "$2"
}

build_all() { # prefix
    staging=$1.tmp work=$1.build logs=$OUT/logs/deps
    mkdir -p "$staging" "$logs"
    for lib in $LIBS; do
        if [ -f "$staging/.built-$lib" ]; then
            say "$lib: already built in $staging, resuming after it"
            continue
        fi
        log=$logs/$lib.log
        stage_begin "deps: $lib"
        eval "tb=\$tarball_$lib"
        in_toolchain "$TOP/scripts/deps.sh" --inside "$lib" "$staging" \
            "$work/$lib" "$tb" > "$log" 2>&1 ||
            die "building $lib failed; full log: $log"
        touch "$staging/.built-$lib"
        stage_end
    done
    finish "$staging" "$1"
    rm -rf "$work"
}

# Link and run a small GLib program against the prefix (deps/tests/).
check() { # prefix
    t=$CACHE/work/deps-check
    rm -rf "$t"
    mkdir -p "$t"
    say "checking $1 with deps/tests/glib-smoke.c"
    toolchain run sh -eu -c '
        export PKG_CONFIG_LIBDIR=$1/lib/pkgconfig
        mods="glib-2.0 gthread-2.0 gio-2.0 gmodule-2.0 pixman-1 zlib"
        emcc -O2 -pthread $(pkg-config --cflags $mods) \
            "$3" -o "$2/smoke.js" \
            -pthread -sWASM_BIGINT -sPROXY_TO_PTHREAD -sEXIT_RUNTIME \
            $(pkg-config --static --libs $mods)
        # A hang (e.g. a thread that never starts) must become an error.
        timeout 120 node "$2/smoke.js"
    ' sh "$1" "$t" "$TOP/deps/tests/glib-smoke.c" > "$t/check.log" 2>&1 ||
        die "the GLib smoke test failed; full log: $t/check.log"
    say "smoke test passed"
}

main() {
    cd "$TOP"   # the toolchain chroot mounts $TOP, not arbitrary folders
    toolchain setup
    fetch_all
    # emcc and the clang under it, e.g. "emcc (...) 3.1.69 ()" and
    # "Debian clang version 19.1.7 (3+b1)".
    EMCC_VERSION=$(toolchain run sh -c 'emcc -v 2>&1 | sed -n 1,2p') &&
        [ -n "$EMCC_VERSION" ] || die "cannot run emcc in the toolchain"
    hash=$(hash_inputs | recipe_hash $(recipe_files) -)
    prefix=$CACHE/work/deps-$hash
    if [ ! -d "$prefix" ]; then
        # Two builds of the same recipe would share the staging folder.
        exec 9> "$prefix.lock"
        command -v flock >/dev/null 2>&1 && flock 9
        [ -d "$prefix" ] || build_all "$prefix"
    fi
    [ "${1:-}" = --check ] && check "$prefix"
    echo "$prefix"
}

case ${1:-} in
--inside) shift; inside "$@" ;;
--check|'') main "$@" ;;
*) die "usage: $0 [--check]" ;;
esac
