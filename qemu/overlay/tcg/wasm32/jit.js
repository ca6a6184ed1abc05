/*
 * The wasm32 TCG backend's JavaScript side: growing the function table and
 * instantiating the modules of compiled blocks.  An Emscripten library
 * (emcc --js-library): each function is the C function of that name that
 * tcg/wasm32/jit.c.inc declares and describes.  They run on the calling
 * thread, with Emscripten's wasmMemory and that thread's wasmTable.
 * Pointers may be above 2 GiB, hence ">>> 0".  Module bytes are copied out
 * of the shared memory, which WebAssembly.Module does not accept.
 *
 * Copyright (c) 2026 The QEMU wasm32 port authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

addToLibrary({
    wasm32_js_table_grow: function (n) {
        try {
            return wasmTable.grow(n);
        } catch (e) {
            return -1;
        }
    },

    wasm32_js_release: function (slot) {
        wasmTable.set(slot, null);
    },

    wasm32_js_instantiate__deps: ['$stringToUTF8'],
    wasm32_js_instantiate: function (p, n, slot, msg, msg_len) {
        try {
            var bytes = new Uint8Array(wasmMemory.buffer, p >>> 0, n >>> 0);
            var mod = new WebAssembly.Module(bytes.slice());
            var imports = { e: { m: wasmMemory, t: wasmTable }, h: {} };
            for (var imp of WebAssembly.Module.imports(mod)) {
                if (imp.module == 'h') {
                    imports.h[imp.name] = wasmTable.get(Number(imp.name));
                }
            }
            var inst = new WebAssembly.Instance(mod, imports);
            wasmTable.set(slot, inst.exports.f);
            return 0;
        } catch (e) {
            stringToUTF8(String(e), msg >>> 0, msg_len >>> 0);
            return -1;
        }
    },
});
