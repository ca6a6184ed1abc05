// What a call into WebAssembly costs as the code it runs around spreads
// over more functions, under each of V8's compilers.  The functions are
// shaped like compiled blocks (loads and stores off one base, constants,
// a branch); they are called through one table in a fixed random order
// over a working set of 64 to 16384 of them, so that from one call to the
// next only the code differs.  A report, not a test:
//
//   node bench/code-footprint.mjs
//
// Each compiler runs in a process of its own (`--liftoff-only`,
// `--no-liftoff`); FOOTPRINT_MAX=N changes the largest working set.
// FOOTPRINT_VARIANTS=1 adds, under Liftoff, functions whose steps also
// have a path that never runs (like a guest access's slow path), inline
// or as a call to a function of its own, and functions whose steps load
// through a TLB-like lookup, inline or by calling one shared accessor.

import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { HEADER, name, section, sleb, uleb, vector } from './wasm-bytes.mjs';

const SETS = [64, 512, 2048, 8192, 16384, 32768];
// Steps per function (~140 and ~700 bytes of wasm), and the variants.
const BODIES = [{ steps: 3 }, { steps: 18 }];
const VARIANTS = [{ steps: 6 }, { steps: 6, cold: 'inline' },
  { steps: 6, cold: 'call' }, { steps: 6, access: 'inline' },
  { steps: 6, access: 'shared' }];
const COLD_MAGIC = 0x5eed1234;
// The lookup's table: 256 entries of { page, host base } at TLB, for
// guest pages 0 to PAGES - 1 held at DATA.
const TLB = 4 << 20;
const DATA = 2 << 20;
const PAGES = 240;
const CALLS = 2e6;
const ROUNDS = 3;
const PER_MODULE = 64;

const funcBody = (locals, code) => {
  const b = [...locals, ...code, OP.end];
  return [...uleb(b.length), ...b];
};

// The opcodes used, by their names in the text format.
const OP = {
  loop: 0x03, if: 0x04, end: 0x0b, brIf: 0x0d, call: 0x10,
  callIndirect: 0x11, localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, i64Load: 0x29, i64Store: 0x37, i32Const: 0x41,
  i64Const: 0x42, i32Eq: 0x46, i64Eq: 0x51, i32Add: 0x6a, i32Sub: 0x6b,
  i32And: 0x71, i32Shl: 0x74, i32ShrU: 0x76, i64Add: 0x7c,
  i32WrapI64: 0xa7, else: 0x05,
};
const VOID = 0x40;
const I32 = 0x7f;
const I64 = 0x7e;
const FUNC = 0x60;
const SEC = { type: 1, import: 2, func: 3, export: 7, code: 10 };
// (import "e" "m" (memory 1 65536 shared)), "e" "t" (table 1 funcref)
const MEMORY = [...name('e'), ...name('m'), 0x02, 0x03, ...uleb(1),
  ...uleb(65536)];
const TABLE = [...name('e'), ...name('t'), 0x01, 0x70, 0x00, ...uleb(1)];
// (import "e" "a" (func $access (type 2))), type 2 being (i32) -> i64
const ACCESSOR = [...name('e'), ...name('a'), 0x00, 2];
const get = (local) => [OP.localGet, local];
const set = (local) => [OP.localSet, local];

// The i64 at the guest address in local @addr, as softmmu's fast path
// finds it: TLB[(addr >> 12) & 255] gives the page and its host base;
// on a miss (pages PAGES and up, rare here) the value is 0.
function lookup(addr, tmp) {
  return [...get(addr), OP.i32Const, 12, OP.i32ShrU,
    OP.i32Const, ...sleb(255), OP.i32And, OP.i32Const, 3, OP.i32Shl,
    OP.localTee, tmp, OP.i32Load, 2, ...uleb(TLB),
    ...get(addr), OP.i32Const, ...sleb(-4096), OP.i32And, OP.i32Eq,
    OP.if, I64,
    ...get(tmp), OP.i32Load, 2, ...uleb(TLB + 4),
    ...get(addr), OP.i32Const, ...sleb(0xfff), OP.i32And, OP.i32Add,
    OP.i64Load, 3, 0,
    OP.else, OP.i64Const, 0, OP.end];
}

// A block: (func (param $env i32) (result i32) (local $t i64) (local $acc
// i64)), each step $t = env[k] + c; env[k + 2048] = $t; if ($t & 1) $acc
// += $t.  A cold path, if any, follows each step: if ($acc == magic) {
// three more such loads and stores }, or in its place a call to the
// function's cold twin at index @twin.  With a guest access, the load is
// of a guest address (local $a, $tmp for the lookup) through lookup(),
// inline or by calling the accessor, function 0.  The result, the next
// call's $env, moves the base within the first 64 KiB.
function body(seed, shape, twin) {
  const [env, t, acc, a, tmp] = [0, 1, 2, 3, 4];
  const guest = (ofs, k) => [...get(env),
    OP.i32Const, ...sleb((seed + k * 977) % PAGES * 4096 + ofs % 4096),
    OP.i32Add, ...set(a),
    ...(shape.access === 'shared' ? [...get(a), OP.call, 0] : lookup(a, tmp)),
    OP.i64Const, ...sleb(seed * 7 + k), OP.i64Add, ...set(t)];
  const load = (ofs, k) => shape.access ? guest(ofs, k) :
    [...get(env), OP.i64Load, 3, ...uleb(ofs),
      OP.i64Const, ...sleb(seed * 7 + k), OP.i64Add, ...set(t)];
  const store = (ofs) => [...get(env), ...get(t), OP.i64Store, 3,
    ...uleb(ofs + 16384)];
  const c = [];
  for (let k = 0; k < shape.steps; k++) {
    const ofs = ((seed * 131 + k * 977) % 2048) * 8;
    c.push(...load(ofs, k), ...store(ofs),
      ...get(t), OP.i32WrapI64, OP.i32Const, 1, OP.i32And, OP.if, VOID,
      ...get(acc), ...get(t), OP.i64Add, ...set(acc), OP.end);
    if (!shape.cold) continue;
    c.push(...get(acc), OP.i64Const, ...sleb(COLD_MAGIC + k), OP.i64Eq,
      OP.if, VOID);
    if (shape.cold === 'call') {
      c.push(...get(env), ...get(acc), OP.call, ...uleb(twin));
    } else {
      for (let j = 0; j < 3; j++) {
        const cold = ((seed * 17 + k * 31 + j * 7) % 2048) * 8;
        c.push(...load(cold, j), ...store(cold));
      }
    }
    c.push(OP.end);
  }
  c.push(...get(env), ...get(acc), OP.i32WrapI64, OP.i32Add,
    OP.i32Const, ...sleb(0xfff0), OP.i32And);
  return funcBody(shape.access ?
    [...uleb(2), ...uleb(2), I64, ...uleb(2), I32] :
    [...uleb(1), ...uleb(2), I64], c);
}

// (func $access (param $a i32) (result i64)): lookup() for all blocks.
function accessorModule() {
  const [a, tmp] = [0, 1];
  return new Uint8Array([...HEADER,
    ...section(SEC.type, vector([[FUNC, 1, I32, 1, I64]])),
    ...section(SEC.import, vector([MEMORY])),
    ...section(SEC.func, vector([[0]])),
    ...section(SEC.export, vector([[...name('a'), 0, 0]])),
    ...section(SEC.code, vector([funcBody([...uleb(1), ...uleb(1), I32],
      lookup(a, tmp))]))]);
}

// (func (param $env i32) (param $acc i64)): the cold paths of one block.
function coldTwin(seed, steps) {
  const [env, acc] = [0, 1];
  const c = [];
  for (let k = 0; k < 3 * steps; k++) {
    const ofs = ((seed * 17 + k * 7) % 2048) * 8;
    c.push(...get(env), OP.i64Load, 3, ...uleb(ofs), ...get(acc),
      OP.i64Add, ...set(acc),
      ...get(env), ...get(acc), OP.i64Store, 3, ...uleb(ofs + 16384));
  }
  return funcBody(uleb(0), c);
}

function blocksModule(first, n, shape) {
  const idx = Array.from({ length: n }, (_, i) => i);
  const twins = shape.cold === 'call' ? idx : [];
  const shared = shape.access === 'shared';
  const imports = shared ? [MEMORY, ACCESSOR] : [MEMORY];
  const base = shared ? 1 : 0;     // imported functions come first
  return new Uint8Array([...HEADER,
    ...section(SEC.type, vector([[FUNC, 1, I32, 1, I32],
      [FUNC, 2, I32, I64, 0], ...(shared ? [[FUNC, 1, I32, 1, I64]] : [])])),
    ...section(SEC.import, vector(imports)),
    ...section(SEC.func, vector([...idx.map(() => [0]),
      ...twins.map(() => [1])])),
    ...section(SEC.export, vector(idx.map((i) => [...name(`f${i}`), 0,
      ...uleb(base + i)]))),
    ...section(SEC.code, vector([
      ...idx.map((i) => body(first + i, shape, base + n + i)),
      ...twins.map((i) => coldTwin(first + i, shape.steps))]))]);
}

// (func $run (param $seq i32) (param $n i32) (result i32) (local $acc
// i32)): for each of $n entries of $seq, $acc = table[entry]($acc).
function driverModule() {
  const [seq, n, acc] = [0, 1, 2];
  const c = [OP.loop, VOID,
    ...get(acc), ...get(seq), OP.i32Load, 2, 0, OP.callIndirect, 0, 0,
    ...set(acc),
    ...get(seq), OP.i32Const, 4, OP.i32Add, ...set(seq),
    ...get(n), OP.i32Const, 1, OP.i32Sub, OP.localTee, n, OP.brIf, 0,
    OP.end, ...get(acc)];
  return new Uint8Array([...HEADER,
    ...section(SEC.type, vector([[FUNC, 1, I32, 1, I32],
      [FUNC, 2, I32, I32, 1, I32]])),
    ...section(SEC.import, vector([MEMORY, TABLE])),
    ...section(SEC.func, vector([[1]])),
    ...section(SEC.export, vector([[...name('run'), 0, 0]])),
    ...section(SEC.code, vector([funcBody([...uleb(1), ...uleb(1), I32],
      c)]))]);
}

function measure(max, shape) {
  const m = new WebAssembly.Memory({ initial: 1024, maximum: 65536,
    shared: true });
  const t = new WebAssembly.Table({ element: 'anyfunc', initial: max });
  const imports = { e: { m } };
  if (shape.access) {
    const tlb = new Uint32Array(m.buffer, TLB, 256 * 2);
    for (let page = 0; page < PAGES; page++) {
      tlb[page * 2] = page * 4096;
      tlb[page * 2 + 1] = DATA + page * 4096;
    }
    imports.e.a = new WebAssembly.Instance(
      new WebAssembly.Module(accessorModule()), imports).exports.a;
  }
  let bytes = 0;
  for (let first = 0; first < max; first += PER_MODULE) {
    const mod = blocksModule(first, PER_MODULE, shape);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(mod),
      imports);
    bytes += mod.length;
    for (let i = 0; i < PER_MODULE; i++) {
      t.set(first + i, inst.exports[`f${i}`]);
    }
  }
  const run = new WebAssembly.Instance(new WebAssembly.Module(driverModule()),
    { e: { m, t } }).exports.run;
  const base = 8 << 20;
  const len = 1 << 20;
  const seq = new Uint32Array(m.buffer, base, len);
  const calls = (n) => {
    for (let done = 0; done < n; done += len) run(base, Math.min(len, n - done));
  };
  const out = { bytes: bytes / max, ns: {} };
  for (const set of SETS.filter((s) => s <= max)) {
    let x = 12345;
    for (let i = 0; i < len; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      seq[i] = (x >>> 8) % set;
    }
    calls(Math.max(4 * set, len));   // compile lazily, let V8 tier up
    let best = Infinity;
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = process.hrtime.bigint();
      calls(CALLS);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / CALLS);
    }
    out.ns[set] = best;
  }
  return out;
}

const self = fileURLToPath(import.meta.url);
if (process.argv[2] === 'child') {
  const max = Number(process.argv[3]);
  const shape = JSON.parse(process.argv[4]);
  process.stdout.write(JSON.stringify(measure(max, shape)) + '\n');
} else {
  const max = Number(process.env.FOOTPRINT_MAX || 16384);
  if (!(max >= SETS[0] && max % PER_MODULE === 0)) {
    process.stderr.write('code-footprint: FOOTPRINT_MAX must be a ' +
      `multiple of ${PER_MODULE}, at least ${SETS[0]}\n`);
    process.exit(2);
  }
  const runs = [];
  for (const shape of BODIES) {
    runs.push({ tier: 'Liftoff', flag: '--liftoff-only', shape });
    runs.push({ tier: 'TurboFan', flag: '--no-liftoff', shape });
  }
  if (process.env.FOOTPRINT_VARIANTS) {
    for (const shape of VARIANTS) {
      runs.push({ tier: 'Liftoff', flag: '--liftoff-only', shape });
    }
  }
  const results = [];
  for (const { tier, flag, shape } of runs) {
    const what = `${tier}, ${shape.steps} steps` +
      (shape.cold ? `, cold paths ${shape.cold}` : '') +
      (shape.access ? `, accesses ${shape.access}` : '');
    process.stderr.write(`code-footprint: ${what}...\n`);
    const r = JSON.parse(execFileSync(process.execPath,
      [flag, self, 'child', String(max), JSON.stringify(shape)],
      { encoding: 'utf8' }));
    results.push({ tier, variant: shape.cold || shape.access, ...r });
  }
  console.log(`ns per call through a table, fastest of ${ROUNDS} rounds of ` +
    `${CALLS / 1e6} M calls (Node.js ${process.versions.node}, V8 ` +
    `${process.versions.v8}, ${os.cpus()[0]?.model ?? 'unknown CPU'})`);
  const cols = results.map((r) => `${r.tier} ${Math.round(r.bytes)} B` +
    (r.variant ? ` ${r.variant}` : ''));
  console.log(['functions', ...cols].map((s) => s.padStart(22)).join(''));
  for (const set of SETS.filter((s) => s <= max)) {
    const cells = results.map((r) => {
      const x = r.ns[set];
      return `${x.toFixed(1)} (${(x / r.ns[SETS[0]]).toFixed(1)}x)`;
    });
    console.log([String(set), ...cells].map((s) => s.padStart(22)).join(''));
  }
  console.log('(B: bytes of wasm per function, with its cold twin if any; ' +
    `Nx: time per call against ${SETS[0]} functions)`);
}
