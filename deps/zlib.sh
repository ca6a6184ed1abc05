# zlib, for GLib's gio (GZlibCompressor) and QEMU (qcow2, migration).
# Sourced by scripts/deps.sh inside the toolchain; see autotools_configure
# and friends there.
SOURCE=zlib

build() {
    # zlib's configure is hand-written, not autoconf: it takes CC, AR,
    # RANLIB and CFLAGS from the environment and the host from CHOST.
    CHOST=wasm32-unknown-emscripten ./configure --static --prefix="$PREFIX"
    # Only the library (plain make would also link the example programs);
    # install needs nothing more.
    make -j"$JOBS" libz.a
    make install
}
