# GLib 2.84 (glib, gobject, gthread, gmodule, gio), static.
# pcre2, libffi and zlib come from our prefix through pkg-config.
SOURCE=glib2.0

# config.h entries meson finds (from a header declaration, or a libc
# symbol that is only a stub) but Emscripten cannot provide; GLib would
# fail to link or take a code path that cannot work:
#  POSIX_SPAWN          Emscripten's is a stub returning -1, where the
#                       error number is expected; without it gspawn
#                       uses fork(), whose stub fails cleanly (ENOSYS)
#  PTHREAD_GETNAME_NP, PTHREAD_GETAFFINITY_NP: declared in pthread.h,
#                       not in libc (the second breaks g_get_num_processors)
#  CLOSE_RANGE, EPOLL_CREATE, KQUEUE, FALLOCATE: not in the libc
UNSUPPORTED="HAVE_POSIX_SPAWN HAVE_PTHREAD_GETNAME_NP HAVE_PTHREAD_GETAFFINITY_NP
HAVE_CLOSE_RANGE HAVE_EPOLL_CREATE HAVE_EPOLL_CREATE1 HAVE_KQUEUE
HAVE_FALLOCATE"

build_resolv_stub() {
    emcc $CFLAGS -c "$TOP/deps/resolv-stub.c" -o "$WORK/resolv-stub.o"
    rm -f "$PREFIX/lib/libresolv.a"
    emar rcs "$PREFIX/lib/libresolv.a" "$WORK/resolv-stub.o"
}

drop_unsupported() { # config.h
    for d in $UNSUPPORTED; do
        if grep -q "^#define $d\b" "$1"; then
            echo "config.h: dropping $d"
            sed -i "/^#define $d\b/d" "$1"
        fi
    done
}

# GLib picks the C type of gsize by size alone unless the compiler id is
# gcc or clang; meson calls emcc "emscripten", so gsize became unsigned
# int while Emscripten's size_t is unsigned long (same width). Let the
# exact check run, so that gsize is size_t: otherwise size_t/gsize
# pointers and callbacks (strncmp as GCompletionStrncmpFunc) mismatch in
# C, and code built with -Werror (QEMU) trips over them.
fix_gsize_check() {
    sed -i "/meson\/issues\/5399/{n;s/cc.get_id() == 'clang'/& or cc.get_id() == 'emscripten'/}" \
        meson.build
    grep -q "== 'clang' or cc.get_id() == 'emscripten'" meson.build ||
        { echo "glib.sh: the gsize check patch no longer applies" >&2; return 1; }
}

# Our changes to GLib, in deps/glib/ (see each patch's message).
apply_patches() {
    command -v patch >/dev/null 2>&1 ||
        { echo "glib.sh: 'patch' is needed (Debian: apt-get install patch)" >&2
          return 1; }
    for p in "$TOP"/deps/glib/*.patch; do
        patch -p1 -s -i "$p" ||
            { echo "glib.sh: $p no longer applies" >&2; return 1; }
    done
}

build() {
    apply_patches
    fix_gsize_check
    # gio's configure check wants res_query(), which Emscripten lacks.
    build_resolv_stub
    # glib_debug: the default (enabled) adds G_ENABLE_DEBUG checks meant
    # for development; distributions turn it off. The features below need
    # libraries or kernel interfaces the wasm program does not have.
    meson_configure \
        -Dtests=false -Dinstalled_tests=false -Dintrospection=disabled \
        -Dnls=disabled -Dselinux=disabled -Dxattr=false -Dlibmount=disabled \
        -Dsysprof=disabled -Ddocumentation=false -Dman-pages=disabled \
        -Ddtrace=disabled -Dsystemtap=disabled -Dlibelf=disabled \
        -Doss_fuzz=disabled -Dglib_debug=disabled \
        -Dbsymbolic_functions=false
    drop_unsupported "$WORK/build/config.h"
    meson_install
    # gmodule-2.0.pc asks for -Wl,--export-dynamic so that g_module_open
    # (NULL) finds the program's symbols. A static wasm program cannot
    # dlopen itself, and on wasm the flag exports every symbol, which
    # stops dead code removal (the smoke test: 1.1 MB -> 2.0 MB of wasm).
    # gmodule-export-2.0.pc keeps it for whoever asks for exactly that.
    sed -i 's/ *-Wl,--export-dynamic//' "$PREFIX/lib/pkgconfig/gmodule-2.0.pc"
}
