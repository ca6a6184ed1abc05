#!/usr/bin/env python3
"""Recompile patched Emscripten system sources into the prebuilt libraries.

Usage: recompile-libc.py EMSCRIPTEN_ROOT LIBRARY... -- SOURCE...

Debian ships Emscripten's system libraries prebuilt in a frozen cache.
Rebuilding a whole libc variation takes minutes; for a patched file it
is enough to compile that file again with the flags Emscripten itself
uses for the library, and replace its member in the archive.  SOURCE is
relative to EMSCRIPTEN_ROOT, LIBRARY a cache name such as libc-mt.

Each library is kept twice, as objects and, for links with -flto, as
bitcode in the cache's lto/ folder: QEMU links with -flto, so both are
recompiled.  A missing archive is an error, not a silent skip, since a
link would then quietly use the unpatched copy.
"""
import os
import subprocess
import sys
import tempfile


def main(argv):
    root = argv[1]
    sep = argv.index('--')
    names, sources = argv[2:sep], argv[sep + 1:]
    sys.path.insert(0, root)
    from tools import shared, system_libs
    from tools.settings import settings

    variations = system_libs.Library.get_all_variations()
    for lto in (0, 'full'):
        # Both the archive's folder and the compiler flags follow this.
        settings.LTO = lto
        for name in names:
            recompile(shared, variations[name], root, sources)
            print(f'{name}{" (lto)" if lto else ""}: recompiled '
                  f'{" ".join(sources)}')


def recompile(shared, lib, root, sources):
    archive = lib.get_path(absolute=True)
    if not os.path.exists(archive):
        sys.exit(f'recompile-libc.py: {archive} not found')
    lib.deterministic_paths = False
    cflags = lib.get_cflags()
    with tempfile.TemporaryDirectory() as tmp:
        objs = []
        for src in sources:
            path = os.path.join(root, src)
            cmd = lib.customize_build_cmd([shared.EMCC, '-c'] + cflags, path)
            obj = os.path.join(tmp, os.path.basename(src)[:-2] + '.o')
            subprocess.check_call(cmd + [path, '-o', obj])
            objs.append(obj)
        # Members are named by their basename; 'r' replaces them.
        subprocess.check_call([shared.LLVM_AR, 'r', archive] + objs)


if __name__ == '__main__':
    main(sys.argv)
