# libffi, for GLib's GClosure marshalling (gobject), which gio needs.
# Its wasm32 ffi_call goes through JavaScript (slow; keep it off hot paths).
SOURCE=libffi

build() {
    # LT_SYS_SYMBOL_USCORE comes from ltdl.m4 (libltdl-dev), which the
    # toolchain lacks; wasm symbols have no leading underscore anyway.
    sed -i 's/^LT_SYS_SYMBOL_USCORE$/sys_symbol_underscore=no/' configure.ac
    # Debian's orig tarball is a git snapshot: no configure script yet.
    autoreconf -fiv
    # builddir/multi-os-directory: install to plain $PREFIX/lib; raw-api
    # has no wasm32 implementation; docs would need makeinfo.
    autotools_configure --disable-builddir --disable-multi-os-directory \
        --disable-raw-api --disable-docs
    make -j"$JOBS"
    # SUBDIRS=include: the library, ffi.h and libffi.pc, not the man pages.
    make install SUBDIRS=include
}
