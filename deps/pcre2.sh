# pcre2 (8-bit only), for GLib's GRegex. Built here because GLib's own
# fallback for it would download a wrap.
SOURCE=pcre2

build() {
    # No JIT: it writes machine code at run time, impossible in wasm.
    autotools_configure --disable-jit --enable-pcre2-8 --disable-pcre2-16 \
        --disable-pcre2-32 --enable-unicode --disable-pcre2grep-libz \
        --disable-pcre2grep-libbz2 --disable-pcre2test-libedit \
        --disable-pcre2test-libreadline
    # The libraries only; pcre2grep and pcre2test would be wasm programs.
    make -j"$JOBS" libpcre2-8.la libpcre2-posix.la
    make install-libLTLIBRARIES install-includeHEADERS \
        install-nodist_includeHEADERS install-pkgconfigDATA
}
