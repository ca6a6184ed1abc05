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
// same.  The branch hints each module carries point at its branches.
// The registers compiled code saves when a helper unwinds are those the
// interpreter reads after the call.  Evicting compiled blocks, when a
// thread has as many as it keeps, changes no result.  Engines without
// tail calls get modules without them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { WASM_QEMU, nodeWithFlags } from './guest.mjs';
import { runSystemTest, scratchDir } from './tcg.mjs';
import { backendCounts } from '../bench/run.mjs';
import { HEADER, section, vector } from '../bench/wasm-bytes.mjs';

const dir = scratchDir('wasm-modules-');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

// Whether the Node.js that runs QEMU (QEMU_WASM_NODE, or node) takes wasm
// tail calls: Node.js 18 does not, and there the backend's blocks make
// no hops through their module's dispatcher or into imported blocks.
// Asked as the backend asks, with a function () -> () whose body is
// return_call 0 (0x12): itself.
const TAIL_CALL_PROBE = [...HEADER,
  ...section(1, vector([[0x60, 0, 0]])),
  ...section(3, vector([[0]])),
  ...section(10, vector([[4, 0, 0x12, 0, 0x0b]]))];
const TAIL_CALLS = execFileSync(process.env.QEMU_WASM_NODE || 'node', ['-e',
  'process.stdout.write(String(WebAssembly.validate(new Uint8Array(' +
  `[${TAIL_CALL_PROBE}]))))`], { encoding: 'utf8' }) === 'true';
const NO_TAIL_CALLS = !TAIL_CALLS && 'the Node.js that runs QEMU has no tail calls';

// How many functions loop, and how many of those through a br_table
// around their whole body (the form for loops that do not nest).
function loopStats(stderr) {
  const m = /; (\d+) of their functions loop, (\d+) of those through a br_table, \d+ with blocks copied\)/.exec(stderr);
  assert.ok(m, `no statistics in: ${stderr}`);
  return { loops: Number(m[1]), brTable: Number(m[2]) };
}

// A reader of the few parts of a module the branch hints concern.
function reader(bytes) {
  let at = 0;
  const r = {
    get at() { return at; },
    byte: () => bytes[at++],
    skip: (n) => { at += n; },
    u32() {
      let v = 0;
      for (let shift = 0; ; shift += 7) {
        const b = bytes[at++];
        v += (b & 0x7f) * 2 ** shift;
        if (!(b & 0x80)) return v;
      }
    },
    name() {
      const n = r.u32();
      at += n;
      return Buffer.from(bytes.subarray(at - n, at)).toString();
    },
  };
  return r;
}

// The module's "metadata.code.branch_hint" section, checked against its
// code: [likely, unlikely] hints, and what is wrong with them.
function checkBranchHints(bytes) {
  const r = reader(bytes);
  const bodies = [];
  const problems = [];
  let imports = 0;
  let hints = null;
  r.skip(8);
  while (r.at < bytes.length) {
    const id = r.byte();
    const end = r.u32() + r.at;
    if (id === 2) {
      // Blocks' modules import only the memory and functions.
      for (let n = r.u32(); n > 0; n--) {
        r.name();
        r.name();
        const kind = r.byte();
        if (kind === 0) {
          imports++;
          r.u32();
        } else {
          assert.equal(kind, 2, 'imports a memory');
          const flags = r.byte();
          r.u32();
          if (flags & 1) r.u32();
        }
      }
    } else if (id === 0 && r.name() === 'metadata.code.branch_hint') {
      if (bodies.length) problems.push('hints after the code');
      hints = [];
      for (let n = r.u32(); n > 0; n--) {
        const func = r.u32();
        for (let m = r.u32(); m > 0; m--) {
          hints.push({ func, offset: r.u32(), size: r.u32(), likely: r.byte() });
        }
      }
    } else if (id === 10) {
      for (let n = r.u32(); n > 0; n--) {
        const size = r.u32();
        bodies.push(bytes.subarray(r.at, r.at + size));
        r.skip(size);
      }
    }
    r.skip(end - r.at);
  }
  if (!hints) return { likely: 0, unlikely: 0, problems: ['no hints'] };
  let last = { func: -1, offset: -1 };
  for (const h of hints) {
    const body = bodies[h.func - imports];
    // 0x04: if, 0x0d: br_if, at an offset from the function's locals.
    if (!body || ![0x04, 0x0d].includes(body[h.offset]) || h.size !== 1 ||
        h.likely > 1) {
      problems.push(`hint ${JSON.stringify(h)}`);
    }
    if (h.func < last.func || (h.func === last.func && h.offset <= last.offset)) {
      problems.push(`hint out of order ${JSON.stringify(h)}`);
    }
    last = h;
  }
  const likely = hints.filter((h) => h.likely).length;
  return { likely, unlikely: hints.length - likely, problems };
}

function runMemoryTest(accel, env = {}, name = Object.keys(env).join('-')) {
  const out = path.join(dir, `memory-${name}.out`);
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
  // The statistics, read as `make bench` reads them: its parser must
  // find every count in the line QEMU prints.
  const counts = backendCounts(r.stderr);
  assert.ok(counts, `no statistics in: ${r.stderr}`);
  for (const [name, n] of Object.entries(counts)) {
    assert.ok(Number.isFinite(n) && n >= 0, `${name}: ${n} in: ${r.stderr}`);
  }
  assert.equal(counts.compiled, Number(/wasm32: (\d+) blocks compiled/.exec(r.stderr)[1]));
  assert.ok(counts.modules > 0 && counts.background > 0 &&
    counts.background <= counts.modules && counts.kib > 0 && counts.compileMs > 0 &&
    counts.entries > 0 && counts.hops > 0, JSON.stringify(counts));
  // Every compiled module was dumped.  There may be one more: when the
  // test exits (from the vCPU thread), Emscripten's exit runs on the main
  // thread, which prints the statistics while the vCPU thread can still
  // be compiling a batch of blocks.
  assert.ok(files.length === counts.modules || files.length === counts.modules + 1,
    `${files.length} modules dumped, ${counts.modules} compiled`);
  assert.ok(counts.compiled > 1000, `only ${counts.compiled} blocks`);
  // Blocks of one module go on to each other through its dispatcher,
  // without a round trip through the trampoline, where the engine has
  // tail calls.
  assert.ok(TAIL_CALLS ? counts.direct > 0 : counts.direct === 0, r.stderr);
  const bytesOf = new Map(files.map((f) => [f, fs.readFileSync(path.join(dump, f))]));
  const invalid = files.filter((f) => !WebAssembly.validate(bytesOf.get(f)));
  assert.deepEqual(invalid, []);
  // The guest accesses' TLB hits are likely, exits and unwinding not.
  let likely = 0;
  let unlikely = 0;
  for (const [f, bytes] of bytesOf) {
    const h = checkBranchHints(bytes);
    assert.deepEqual(h.problems, [], f);
    likely += h.likely;
    unlikely += h.unlikely;
  }
  assert.ok(likely > 1000 && unlikely > 1000, `${likely} likely, ${unlikely} unlikely`);
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

// When a helper unwinds the stack, compiled code saves only the
// registers live after the call, for the interpreter to go on with.
// QEMU_WASM32_CHECK_LIVE makes the interpreter itself overwrite the
// others after every call and guest access, with the same analysis:
// the test still passes only if nothing it overwrote was read.
test('the registers saved at a call are all that is read after it', async () => {
  const r = await runMemoryTest('tcg,wasm=off', { QEMU_WASM32_CHECK_LIVE: '1' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.output, /Test complete: PASSED/);
});

// A block whose jump went, on the interpreter, to a block compiled in an
// earlier module imports that block's function and tail-calls it.  With
// the default threshold, blocks have run and linked their jumps before
// they are compiled (with wasm-threshold=1 they have not), and modules
// of one block each (QEMU_WASM32_BATCH=1) make every such jump one into
// an earlier module.
test('blocks of earlier modules are reached through imports',
  { skip: NO_TAIL_CALLS }, async (t) => {
    const r = await runMemoryTest('tcg,wasm-stats=on', { QEMU_WASM32_BATCH: '1' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.output, /Test complete: PASSED/);
    const counts = backendCounts(r.stderr);
    t.diagnostic(`${counts.imported} hops into ${counts.importedBlocks} imported blocks, ` +
      `${counts.hops} through the trampoline`);
    assert.ok(counts.importedBlocks > 0 && counts.imported > 0, r.stderr);
  });

// Engines without tail calls (Node.js 18's V8 without its flag, Safari
// before 18.2): the backend asks the engine, and its blocks then return
// to the trampoline where they would tail-call the module's dispatcher
// or a block of an earlier module.  Every module compiles, and the test
// still passes.  V8's flag takes tail calls away from the whole process;
// V8s after tail calls shipped dropped it (Node.js 24 refuses it).
const NO_TAIL_CALLS_FLAG = '--no-experimental-wasm-return-call';
const FLAG_GONE = (() => {
  try {
    execFileSync(process.execPath, [NO_TAIL_CALLS_FLAG, '-e', ''], { stdio: 'ignore' });
    return false;
  } catch {
    return `this Node.js has no ${NO_TAIL_CALLS_FLAG}`;
  }
})();
test('blocks go through the trampoline on an engine without tail calls',
  { skip: FLAG_GONE }, async (t) => {
    const node = nodeWithFlags(path.join(dir, 'node-without-tail-calls'),
      process.execPath, [NO_TAIL_CALLS_FLAG]);
    const r = await runMemoryTest('tcg,wasm-threshold=1,wasm-stats=on',
      { QEMU_WASM_NODE: node }, 'no-tail-calls');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.output, /Test complete: PASSED/);
    assert.doesNotMatch(r.stderr, /did not compile/);
    const counts = backendCounts(r.stderr);
    t.diagnostic(`${counts.compiled} blocks compiled, ${counts.hops} hops ` +
      'through the trampoline');
    assert.ok(counts.compiled > 1000 && counts.hops > 0, r.stderr);
    assert.equal(counts.direct, 0, r.stderr);
    assert.equal(counts.imported, 0, r.stderr);
  });

// A thread keeps a bounded number of compiled blocks and evicts the
// oldest.  The guests compile far fewer than the limit, so lower it:
// blocks are then evicted, their table slots go to new blocks while the
// old modules still dispatch to their own functions, and evicted blocks
// that run hot again are compiled again.  The test must still pass.
test('blocks evicted from a full table leave the results unchanged', async (t) => {
  const r = await runMemoryTest('tcg,wasm-threshold=1,wasm-stats=on',
    { QEMU_WASM32_MAX_BLOCKS: '256' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.output, /Test complete: PASSED/);
  const m = /wasm32: (\d+) blocks compiled .* (\d+) evicted, (\d+) dropped/.exec(r.stderr);
  assert.ok(m, `no statistics in: ${r.stderr}`);
  const [compiled, evicted, dropped] = m.slice(1).map(Number);
  const { importedBlocks, importsGone } = backendCounts(r.stderr);
  t.diagnostic(`${evicted} of ${compiled} blocks evicted, ${dropped} dropped; ` +
    `${importsGone} of ${importedBlocks} imported blocks gone before their importer came`);
  // Each block generated after the first 256 took the slot of one that
  // was compiled and is evicted, unless that one was dropped already;
  // the batch not yet compiled has evicted too.
  assert.ok(compiled > 1000, `only ${compiled} blocks`);
  assert.ok(evicted + dropped >= compiled - 256 && evicted <= compiled,
    `${evicted} of ${compiled} blocks evicted, ${dropped} dropped`);
  // Some blocks that a module imports were evicted before it was
  // instantiated, and their imports go back to the trampoline instead
  // (with tail calls; without, modules import no blocks).
  assert.ok((importsGone > 0 || !TAIL_CALLS) && importsGone <= importedBlocks,
    `${importsGone} of ${importedBlocks} imported blocks gone`);
});

test('tb_flush() drops the wasm of every compiled block', async (t) => {
  // A 1 MiB translation buffer fills while the test runs, and is
  // flushed; blocks are compiled again after that.
  const r = await runMemoryTest('tcg,tb-size=1,wasm-threshold=1,wasm-stats=on',
    {}, 'flush');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.output, /Test complete: PASSED/);
  const m = /wasm32: (\d+) blocks compiled .* (\d+) dropped \((\d+) by (\d+) tb_flush\(\)es\)/.exec(r.stderr);
  assert.ok(m, `no statistics in: ${r.stderr}`);
  const [compiled, dropped, flushed, flushes] = m.slice(1).map(Number);
  t.diagnostic(`${flushes} flushes dropped ${flushed} of ${compiled} blocks`);
  assert.ok(flushes >= 1, `${flushes} flushes`);
  // A flush drops every block compiled before it and still live: about
  // 2400 of 4000 here, the rest being compiled after it.
  assert.ok(flushed > compiled / 4 && flushed <= dropped && dropped <= compiled,
    `${flushes} flushes dropped ${flushed} of ${compiled} blocks, ${dropped} dropped in all`);
});

// @warning must say that a module did not compile, for @reason (a
// pattern), naming its first block and how many more it held, and
// wasm-stats in @stderr must count all of them as invalid.
function checkModuleLeft(stderr, warning, reason) {
  const m = new RegExp('^qemu-system-x86_64: warning: wasm32: the module for ' +
    'the block at guest (?:pc|physical address) 0x[0-9a-f]+ and (\\d+) more ' +
    `blocks did not compile \\(${reason}\\); they stay on the interpreter$`)
    .exec(warning);
  assert.ok(m, warning);
  const invalid = /wasm32: \d+ blocks compiled .* (\d+) invalid/.exec(stderr);
  assert.ok(invalid, stderr);
  assert.equal(Number(invalid[1]), Number(m[1]) + 1);
}

// Under Node.js a worker thread compiles the modules, and the corrupted
// one always goes there; QEMU_WASM32_SYNC_COMPILE=1 compiles every
// module on the vCPU thread, as browsers do.
for (const [how, env] of [['by the worker', {}],
  ['on the vCPU thread', { QEMU_WASM32_SYNC_COMPILE: '1' }]]) {
  test(`a corrupted module is reported and its blocks interpreted (${how})`, async () => {
    const r = await runMemoryTest('tcg,wasm-threshold=1,wasm-stats=on',
      { QEMU_WASM32_CORRUPT: '20', ...env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.output, /Test complete: PASSED/);
    const warnings = r.stderr.split('\n').filter((l) => /did not compile/.test(l));
    assert.equal(warnings.length, 1, r.stderr);
    checkModuleLeft(r.stderr, warnings[0], 'CompileError: .+');
    const counts = backendCounts(r.stderr);
    assert.ok(env.QEMU_WASM32_SYNC_COMPILE ? counts.background === 0 : counts.background > 0,
      `${counts.background} of ${counts.modules} modules compiled by the worker`);
  });
}

// A worker that stops answering: QEMU_WASM32_COMPILER_STALL=3 has it
// answer for three modules and then keep the fourth.  The vCPU thread
// goes on compiling on its own, until its table slots come round to
// that batch's; it then waits for it, gives up after 10 s, and leaves
// the batch on the interpreter.
test('a compiler thread that stops answering is given up', async () => {
  const r = await runMemoryTest('tcg,wasm-threshold=1,wasm-stats=on',
    { QEMU_WASM32_MAX_BLOCKS: '256', QEMU_WASM32_COMPILER_STALL: '3' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.output, /Test complete: PASSED/);
  const warnings = r.stderr.split('\n').filter((l) => /warning: wasm32:/.test(l));
  assert.equal(warnings.length, 2, r.stderr);
  assert.equal(warnings[0], 'qemu-system-x86_64: warning: wasm32: no answer from ' +
    'the compiler thread in 10 s; compiling on the vCPU thread');
  checkModuleLeft(r.stderr, warnings[1],
    'no answer from the compiler thread in 10 s');
  const counts = backendCounts(r.stderr);
  assert.equal(counts.background, 4, r.stderr);
  assert.ok(counts.modules > 4, r.stderr);
});
