#!/bin/sh
# Build QEMU from Debian's source with our series applied.
#
#   qemu.sh wasm       qemu-system-x86_64 for wasm32 -> $OUT/qemu/
#   qemu.sh profiling  the same, linked with its functions' names
#                      -> $OUT/qemu-profiling/
#   qemu.sh native     the same tree built with gcc -> $OUT/native/
#   qemu.sh base       print the unpacked, unpatched base tree's folder
#
# The patched tree lives at one fixed path in the cache and is updated
# file by file, so that after a one-file change ninja rebuilds only what
# depends on that file.
set -eu
. "$(dirname "$0")/lib.sh"

kind=${1:-wasm}
TC=$TOP/scripts/toolchain.sh
WORK=$CACHE/work
TREE=$WORK/qemu-src
TARGETS=${QEMU_TARGETS:-x86_64-softmmu}

# Unpack the base once per tarball: Debian's orig tarball plus the one
# Debian patch we need (its +ds tarball has no edk2 blobs to unpack).
pristine_tree() {
    src=$("$TOP/scripts/fetch-source.sh" qemu)
    orig=$(ls "$src"/qemu_10.0.*+ds.orig.tar.xz | tail -n1)
    deb=$(ls "$src"/qemu_10.0.*+ds-*.debian.tar.xz | tail -n1)
    key=$(basename "$orig" .orig.tar.xz)
    dir=$WORK/$key-base
    if [ ! -f "$dir/.done" ]; then
        say "unpacking $(basename "$orig")"
        rm -rf "$dir" "$dir.tmp"
        mkdir -p "$dir.tmp"
        tar -xJf "$orig" -C "$dir.tmp" --strip-components=1
        tar -xJf "$deb" -C "$dir.tmp" debian/patches/skip-unpack-edk2-blobs.patch
        (cd "$dir.tmp" &&
            patch -s -p1 < debian/patches/skip-unpack-edk2-blobs.patch &&
            rm -rf debian)
        touch "$dir.tmp/.done"
        mv "$dir.tmp" "$dir"
    fi
    echo "$dir"
}

# Apply the series to a fresh copy, then bring only the files that
# differ into the build tree.
update_tree() {
    base=$1
    stage=$WORK/qemu-stage
    rm -rf "$stage"
    cp -a "$base" "$stage"
    "$TOP/scripts/series.sh" apply "$stage"
    if [ ! -d "$TREE" ]; then
        mv "$stage" "$TREE"
        return
    fi
    LC_ALL=C diff -rq "$stage" "$TREE" 2>/dev/null | while read -r line; do
        case $line in
        "Files "*" differ")
            f=${line#Files "$stage"/}; f=${f%% and *}
            cp -p "$stage/$f" "$TREE/$f"; say "updated $f" ;;
        "Only in $stage"*)
            d=${line#Only in }; d=${d%%: *}; n=${line##*: }
            rel=${d#"$stage"}; mkdir -p "$TREE$rel"
            cp -a "$d/$n" "$TREE$rel/$n"; say "added ${rel#/}/$n" ;;
        "Only in $TREE"*)
            d=${line#Only in }; d=${d%%: *}; n=${line##*: }
            # The build writes Python caches into the source tree.
            case $n in .done|__pycache__) continue ;; esac
            rm -rf "${d:?}/$n"; say "removed ${d#"$TREE"}/$n" ;;
        esac
    done
    rm -rf "$stage"
}

LOGS=$OUT/logs
mkdir -p "$LOGS"

# Configure again only when the options (and the environment configure
# runs in), configure itself or our meson cross file change: for the
# series' other edits (meson.build files included) ninja regenerates
# what it must by itself.
configure_once() { # build-dir configure-args...
    bdir=$1
    shift
    want=$( { printf '%s\n' "$BUILD_ENV" "$*"; cat "$TREE/configure" \
              "$TREE/configs/meson/emscripten.txt"; } | recipe_hash)
    if [ -f "$bdir/build.ninja" ] &&
       [ "$(cat "$bdir/.configured" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    # QEMU's configure runs again in place: objects whose inputs did not
    # change are kept.
    mkdir -p "$bdir"
    stage_begin "qemu $kind: configure"
    (cd "$bdir" && "$TC" run env $BUILD_ENV "$TREE/configure" "$@") \
        > "$LOGS/configure-$kind.log" 2>&1 ||
        die "configure failed, see $LOGS/configure-$kind.log"
    echo "$want" > "$bdir/.configured"
    stage_end
}

build() { # build-dir target...
    dir=$1
    shift
    stage_begin "qemu $kind: compile and link"
    # keeprsp: the link's response file stays, for build_profiling().
    "$TC" run env $BUILD_ENV ninja -d keeprsp -C "$dir" "$@" \
        > "$LOGS/build-$kind.log" 2>&1 ||
        die "build failed, see $LOGS/build-$kind.log ($(grep -m1 -E 'error|FAILED' "$LOGS/build-$kind.log"))"
    stage_end
}

# Put file $1 into directory $2 by copying it under a temporary name and
# renaming it over the old one: a QEMU still running from the old file
# (a benchmark in another terminal, say) keeps it, where cp onto it
# fails ("Text file busy") or changes a file a starting QEMU is reading.
install_file() {
    tmp=$2/.$(basename "$1").new
    cp "$1" "$tmp" && mv -f "$tmp" "$2/$(basename "$1")"
}

# Shared by both builds: the system emulator with TCG and little else.
COMMON_OPTS="--target-list=$TARGETS --without-default-features
--enable-system --enable-tcg --disable-tools --disable-docs
--disable-install-blobs --disable-download --disable-werror"
PROG=qemu-system-${TARGETS%%-*}

build_wasm() {
    deps=$("$TOP/scripts/deps.sh")
    bdir=$WORK/qemu-build-wasm
    BUILD_ENV="PKG_CONFIG=pkg-config PKG_CONFIG_LIBDIR=$deps/lib/pkgconfig EM_COMPILER_WRAPPER=/usr/bin/ccache"
    # Link-time optimisation: V8 in Node.js 20 does not inline one wasm
    # function into another, so calls between QEMU's files (TB lookup,
    # softmmu, the exec loop) stay calls unless LLVM inlines them at
    # link time.  The link takes about 2 minutes.
    # shellcheck disable=SC2086
    configure_once "$bdir" \
        --cross-prefix=em --cc=emcc --cxx=em++ --host-cc=gcc \
        --extra-cflags="-I$deps/include" --extra-ldflags="-L$deps/lib" \
        --static --enable-lto $COMMON_OPTS
    # ninja does not see the Emscripten libraries emcc links in.
    tc=$("$TC" id)
    if [ "$(cat "$bdir/.toolchain" 2>/dev/null)" != "$tc" ]; then
        rm -f "$bdir/$PROG.js" "$bdir/$PROG.wasm"
    fi
    build "$bdir" "$PROG.js"
    echo "$tc" > "$bdir/.toolchain"
    mkdir -p "$OUT/qemu"
    for f in "$bdir/$PROG".*; do
        case $f in *.js|*.wasm|*.mjs) install_file "$f" "$OUT/qemu" ;; esac
    done
    say "$(ls -l "$OUT/qemu" | awk 'NR > 1 { printf "%s %s bytes; ", $9, $5 }')"
}

# The wasm build linked again with --profiling-funcs, whose name section
# names QEMU's functions in profiles and in V8's traces (the code is
# the same, function for function).  About 2 minutes; done again only
# when the wasm build has changed.
build_profiling() {
    bdir=$WORK/qemu-build-wasm
    pdir=$OUT/qemu-profiling
    rsp=$bdir/$PROG.js.rsp
    # Linked before response files were kept: have build_wasm link again.
    [ -f "$rsp" ] || rm -f "$bdir/$PROG.js"
    kind=wasm
    build_wasm
    kind=profiling
    [ -f "$rsp" ] || die "no $rsp after linking $PROG.js"
    # What it was linked from: the build's wasm, by checksum.
    from=$(cksum < "$bdir/$PROG.wasm")
    if [ -f "$pdir/$PROG.wasm" ] &&
       [ "$(cat "$pdir/.linked-from" 2>/dev/null)" = "$from" ]; then
        say "$pdir is up to date"
        return 0
    fi
    mkdir -p "$pdir"
    stage_begin "qemu profiling: link with --profiling-funcs"
    # The same link with another output.
    sed "s| -o $PROG\.js | |" "$rsp" > "$pdir/link.rsp"
    ! grep -q -e "-o $PROG\.js" "$pdir/link.rsp" ||
        die "cannot take the output out of $rsp"
    (cd "$bdir" && "$TC" run emcc @"$pdir/link.rsp" --profiling-funcs \
        -o "$pdir/$PROG.js") > "$LOGS/build-profiling.log" 2>&1 ||
        die "link failed, see $LOGS/build-profiling.log"
    rm -f "$pdir/link.rsp"
    echo "$from" > "$pdir/.linked-from"
    stage_end
    say "QEMU_WASM_BUILD=$pdir runs it; QEMU_WASM_NAMES=$pdir/$PROG.wasm" \
        "names QEMU's functions for bench/tier-up.mjs"
}

build_native() {
    bdir=$WORK/qemu-build-native
    BUILD_ENV=
    # shellcheck disable=SC2086
    configure_once "$bdir" --cc="ccache gcc" $COMMON_OPTS
    # fp-test: QEMU's softfloat against Berkeley TestFloat, for the
    # series' changes to fpu/ (tests/softfloat.test.mjs).
    progs="$PROG tests/fp/fp-test"
    # shellcheck disable=SC2086
    build "$bdir" $progs
    mkdir -p "$OUT/native/bin"
    for p in $progs; do
        name=$(basename "$p")
        install_file "$bdir/$p" "$OUT/native/bin"
        # Built against the toolchain's libc, so it runs where it was built.
        cat > "$OUT/native/$name" <<EOT
#!/bin/sh
exec "$TC" run "$OUT/native/bin/$name" "\$@"
EOT
        chmod +x "$OUT/native/$name"
    done
}

if [ "$kind" = base ]; then
    pristine_tree
    exit 0
fi
"$TC" setup
update_tree "$(pristine_tree)"
case $kind in
wasm) build_wasm ;;
profiling) build_profiling ;;
native) build_native ;;
*) die "usage: $0 wasm|profiling|native" ;;
esac
