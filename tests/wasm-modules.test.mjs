// The WebAssembly the backend generates: every module it emits is valid
// (WebAssembly.validate), and a module the engine rejects is reported in
// one clear line while its blocks stay on the interpreter, so the guest
// still gets the right answer.  QEMU's `memory` system test (built by
// scripts/tcg-tests.sh) is the guest: small, but it exercises loads and
// stores of every size and sign, and compiles a few thousand blocks
// with wasm-threshold=1.  The barriers around guest accesses depend on
// the host CPU the launcher names.  The interpreter calls helpers through
// thunks the backend generates, not through libffi.  Loops are wasm
// loops where they nest, and a br_table's otherwise; both compute the
// same.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { WASM_QEMU } from './guest.mjs';
import { runSystemTest, scratchDir } from './tcg.mjs';

const dir = scratchDir('wasm-modules-');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

// How many functions loop, and how many of those through a br_table
// around their whole body (the form for loops that do not nest).
function loopStats(stderr) {
  const m = /; (\d+) of their functions loop, (\d+) of those through a br_table\)/.exec(stderr);
  assert.ok(m, `no statistics in: ${stderr}`);
  return { loops: Number(m[1]), brTable: Number(m[2]) };
}

function runMemoryTest(accel, env) {
  const out = path.join(dir, `memory-${Object.keys(env).join('-')}.out`);
  return runSystemTest(WASM_QEMU, 'memory', out, { extra: ['-accel', accel], env });
}

test('every generated module validates', async () => {
  const dump = path.join(dir, 'dump');
  fs.mkdirSync(dump);
  const r = await runMemoryTest('tcg,wasm-threshold=1,wasm-stats=on',
    { QEMU_WASM32_DUMP: dump });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.output, /Test complete: PASSED/);
  const files = fs.readdirSync(dump);
  const stats = /wasm32: (\d+) blocks compiled .* in (\d+) modules/.exec(r.stderr);
  assert.ok(stats, `no statistics in: ${r.stderr}`);
  // Every compiled module was dumped.  There may be one more: when the
  // test exits (from the vCPU thread), Emscripten's exit runs on the main
  // thread, which prints the statistics while the vCPU thread can still
  // be compiling a batch of blocks.
  const modules = Number(stats[2]);
  assert.ok(files.length === modules || files.length === modules + 1,
    `${files.length} modules dumped, ${modules} compiled`);
  assert.ok(Number(stats[1]) > 1000, `only ${stats[1]} blocks`);
  // Blocks of one module go on to each other through its dispatcher,
  // without a round trip through the trampoline.
  const hops = /through the trampoline and (\d+) within modules/.exec(r.stderr);
  assert.ok(hops, `no statistics in: ${r.stderr}`);
  assert.ok(Number(hops[1]) > 0, r.stderr);
  const invalid = files.filter(
    (f) => !WebAssembly.validate(fs.readFileSync(path.join(dump, f))));
  assert.deepEqual(invalid, []);
  // Loops are wasm loops where the guest loops, almost never one loop
  // with a br_table around the whole function.
  const { loops, brTable } = loopStats(r.stderr);
  assert.ok(loops > 100, `only ${loops} functions loop`);
  assert.ok(brTable * 20 < loops, `${brTable} of ${loops} through a br_table`);
  // The launcher names an x86 host as such, and there the test's
  // ordinary loads and stores need no barriers (it has no fences).
  if (['x64', 'ia32'].includes(process.arch)) {
    assert.match(r.stderr, /; 0 memory barriers compiled/);
  }
});

// The br_table form, which functions whose loops do not nest keep, still
// computes what the interpreter does.
test('loops through a br_table compute the same', async () => {
  const r = await runMemoryTest('tcg,wasm-threshold=1,wasm-stats=on',
    { QEMU_WASM32_BR_TABLE: '1' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.output, /Test complete: PASSED/);
  const { loops, brTable } = loopStats(r.stderr);
  assert.ok(loops > 100, `only ${loops} functions loop`);
  assert.equal(brTable, loops);
});

// On a host CPU that is not x86, or an unknown one, every guest access
// keeps the barrier x86's memory order needs, and the code still computes
// the same.
test('guest accesses keep their barriers on other host CPUs', async () => {
  const r = await runMemoryTest('tcg,wasm-threshold=1,wasm-stats=on',
    { QEMU_WASM32_HOST_CPU: 'arm64' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.output, /Test complete: PASSED/);
  const barriers = /; (\d+) memory barriers compiled/.exec(r.stderr);
  assert.ok(barriers, `no statistics in: ${r.stderr}`);
  assert.ok(Number(barriers[1]) > 1000, `only ${barriers[1]} barriers`);
});

// Every helper the interpreter calls (lookup_tb_ptr on each goto_ptr,
// the memory test's I/O) goes through the backend's thunks.  That they
// compute what libffi would is shown by tcg.test.mjs and jit.test.mjs,
// which compare wasm=off with native QEMU.
test('the interpreter calls helpers without libffi', async () => {
  const r = await runMemoryTest('tcg,wasm=off,wasm-stats=on', {});
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.output, /Test complete: PASSED/);
  assert.match(r.stderr, /; 0 helper calls through libffi/);
});

test('a corrupted module is reported and its blocks interpreted', async () => {
  const r = await runMemoryTest('tcg,wasm-threshold=1,wasm-stats=on',
    { QEMU_WASM32_CORRUPT: '20' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.output, /Test complete: PASSED/);
  const warnings = r.stderr.split('\n').filter((l) => /did not compile/.test(l));
  assert.equal(warnings.length, 1, r.stderr);
  const m = /^qemu-system-x86_64: warning: wasm32: the module for the block at guest (?:pc|physical address) 0x[0-9a-f]+ and (\d+) more blocks did not compile \(CompileError: .+\); they stay on the interpreter$/.exec(warnings[0]);
  assert.ok(m, warnings[0]);
  const invalid = /wasm32: \d+ blocks compiled .* (\d+) invalid/.exec(r.stderr);
  assert.ok(invalid, r.stderr);
  assert.equal(Number(invalid[1]), Number(m[1]) + 1);
});
