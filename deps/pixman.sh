# Pixman, for QEMU's display code.
SOURCE=pixman

build() {
    # None of the SIMD paths exist for wasm (there is no wasm SIMD code in
    # Pixman 0.44), and the inline asm checks are for real CPUs. TLS stays
    # on auto: with -pthread Emscripten has working _Thread_local.
    meson_configure \
        -Dloongson-mmi=disabled -Dmmx=disabled -Dsse2=disabled \
        -Dssse3=disabled -Dvmx=disabled -Darm-simd=disabled \
        -Dneon=disabled -Da64-neon=disabled -Dmips-dspr2=disabled \
        -Drvv=disabled -Dgnu-inline-asm=disabled \
        -Dopenmp=disabled -Dtimers=false -Dgnuplot=false \
        -Dgtk=disabled -Dlibpng=disabled -Dtests=disabled -Ddemos=disabled
    meson_install
}
