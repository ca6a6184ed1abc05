/*
 * Options of the wasm32 TCG backend's WebAssembly compiler
 *
 * Copyright (c) 2026 The QEMU wasm32 port authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TCG_WASM32_H
#define TCG_WASM32_H

/*
 * Every translation block starts on the interpreter.  A block is compiled
 * to WebAssembly when it is about to run for the tcg_wasm_threshold-th
 * time: 1 compiles it before its first run.  With tcg_wasm_enabled
 * false nothing is compiled.
 */
#define TCG_WASM_DEFAULT_THRESHOLD 64

extern bool tcg_wasm_enabled;
extern uint32_t tcg_wasm_threshold;

/* Print what the compiler did so far: blocks, bytes, time, fallbacks. */
void tcg_wasm_report(void);

#endif
