#!/usr/bin/env python3
"""Recompile patched Emscripten system sources into the prebuilt libraries.

Usage: recompile-libc.py EMSCRIPTEN_ROOT LIBRARY... -- SOURCE...

Debian ships Emscripten's system libraries prebuilt in a frozen cache.
Rebuilding a whole libc variation takes minutes; for a patched file it
is enough to compile that file again with the flags Emscripten itself
uses for the library, and replace its member in the archive.  SOURCE is
relative to EMSCRIPTEN_ROOT, LIBRARY a cache name such as libc-mt.
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

    variations = system_libs.Library.get_all_variations()
    for name in names:
        lib = variations[name]
        archive = lib.get_path(absolute=True)
        if not os.path.exists(archive):
            continue
        lib.deterministic_paths = False
        cflags = lib.get_cflags()
        with tempfile.TemporaryDirectory() as tmp:
            objs = []
            for src in sources:
                path = os.path.join(root, src)
                cmd = lib.customize_build_cmd([shared.EMCC, '-c'] + cflags,
                                              path)
                obj = os.path.join(tmp, os.path.basename(src)[:-2] + '.o')
                subprocess.check_call(cmd + [path, '-o', obj])
                objs.append(obj)
            # Members are named by their basename; 'r' replaces them.
            subprocess.check_call([shared.LLVM_AR, 'r', archive] + objs)
        print(f'{name}: recompiled {" ".join(sources)}')


if __name__ == '__main__':
    main(sys.argv)
