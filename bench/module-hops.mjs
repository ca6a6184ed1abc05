// What a hop from a function of one module to a function of another
// costs, the two ways compiled blocks take it: returning the next
// block to a trampoline, whose one `call_indirect` makes every such
// call (the backend's way before 0096), or a `return_call` of the next
// function, which the module imports (0096).  N modules of one function
// each, shaped like a small block (loads and stores off one base), are
// visited in a fixed random cycle, so that the trampoline's call goes
// somewhere else every time while each imported call goes to one place.
// A report, not a test:
//
//   node bench/module-hops.mjs
//   node --liftoff-only bench/module-hops.mjs     # or --no-liftoff
//
// HOPS_SETS=64,1000 changes the numbers of modules.  The imports form a
// chain rather than a cycle (a module can import only what exists), so
// JavaScript calls its head again every N hops; that call is counted in
// the imports' time.

import { HEADER, name, section, sleb, uleb, vector } from './wasm-bytes.mjs';

const SETS = (process.env.HOPS_SETS || '64,1000,8000').split(',').map(Number);
const HOPS = 2e7;
const STEPS = 20;
const ROUNDS = 5;

const OP = {
  loop: 0x03, if: 0x04, end: 0x0b, brIf: 0x0d, return: 0x0f,
  callIndirect: 0x11, returnCall: 0x12, localGet: 0x20, localSet: 0x21,
  localTee: 0x22, i32Load: 0x28, i32Store: 0x36, i32Const: 0x41,
  i32Eqz: 0x45, i32Add: 0x6a, i32Sub: 0x6b,
};
const I32 = 0x7f;
const VOID = 0x40;
// (type 0 (func (param i32 i32 i32) (result i32))): a block's type
const BLOCK_TYPE = [0x60, 3, I32, I32, I32, 1, I32];
// (import "e" "m" (memory 1 1 shared))
const MEMORY = [...name('e'), ...name('m'), 0x02, 0x03, 1, 1];
const COUNTER = 0;

// STEPS of mem[8 + 4k] += env, then the hop.
function body(hop) {
  const code = [0];
  for (let k = 0; k < STEPS; k++) {
    const at = sleb(8 + 4 * k);
    code.push(OP.i32Const, ...at, OP.i32Const, ...at, OP.i32Load, 2, 0,
      OP.localGet, 0, OP.i32Add, OP.i32Store, 2, 0);
  }
  code.push(...hop, OP.end);
  return [...uleb(code.length), ...code];
}

function blockModule(hop, imports) {
  return new WebAssembly.Module(new Uint8Array([...HEADER,
    ...section(1, vector([BLOCK_TYPE])),
    ...section(2, vector([MEMORY, ...imports])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...name('f'), 0x00, imports.length]])),
    ...section(10, vector([body(hop)]))]));
}

// Returns its successor's table index to the trampoline.
const returnsNext = (index) => [OP.i32Const, ...sleb(index)];
// While the counter lasts, tail-calls the function it imports.
const callsNext = [
  OP.i32Const, COUNTER, OP.i32Load, 2, 0, OP.i32Eqz, OP.if, VOID,
  OP.i32Const, 0, OP.return, OP.end,
  OP.i32Const, COUNTER, OP.i32Const, COUNTER, OP.i32Load, 2, 0,
  OP.i32Const, 1, OP.i32Sub, OP.i32Store, 2, 0,
  OP.localGet, 0, OP.localGet, 1, OP.localGet, 2, OP.returnCall, 0];

// (func (param $fn i32) (param $n i32) (result i32)): call $fn and go
// on to what it returns, $n times.
function trampoline(table) {
  const code = [0, OP.loop, VOID,
    OP.i32Const, 0, OP.i32Const, 0, OP.i32Const, 0, OP.localGet, 0,
    OP.callIndirect, 0, 0, OP.localSet, 0,
    OP.localGet, 1, OP.i32Const, 1, OP.i32Sub, OP.localTee, 1,
    OP.brIf, 0, OP.end, OP.localGet, 0, OP.end];
  const mod = new WebAssembly.Module(new Uint8Array([...HEADER,
    ...section(1, vector([BLOCK_TYPE, [0x60, 2, I32, I32, 1, I32]])),
    ...section(2, vector([[...name('e'), ...name('t'), 0x01, 0x70, 0x00,
      ...uleb(table.length)]])),
    ...section(3, vector([[1]])),
    ...section(7, vector([[...name('run'), 0x00, 0]])),
    ...section(10, vector([[...uleb(code.length), ...code]]))]));
  return new WebAssembly.Instance(mod, { e: { t: table } }).exports.run;
}

function shuffled(n) {
  const order = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function fastest(run) {
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    const hops = run();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / hops);
  }
  return best;
}

function measure(n) {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const counter = new Int32Array(memory.buffer);
  const order = shuffled(n);
  const table = new WebAssembly.Table({ element: 'anyfunc', initial: n + 1 });
  order.forEach((m, i) => {
    const next = order[(i + 1) % n] + 1;
    table.set(m + 1, new WebAssembly.Instance(blockModule(returnsNext(next), []),
      { e: { m: memory } }).exports.f);
  });
  const run = trampoline(table);
  const viaTrampoline = fastest(() => {
    run(order[0] + 1, HOPS);
    return HOPS;
  });

  // The chain is built from its end, each module importing the next.
  let head = null;
  for (let i = n - 1; i >= 0; i--) {
    const imports = head ? [[...name('e'), ...name('f'), 0x00, 0]] : [];
    head = new WebAssembly.Instance(blockModule(head ? callsNext : [OP.i32Const, 0], imports),
      { e: { m: memory, f: head } }).exports.f;
  }
  const chains = Math.max(1, Math.floor(HOPS / n));
  const viaImports = fastest(() => {
    for (let c = 0; c < chains; c++) {
      counter[COUNTER] = n;
      head(0, 0, 0);
    }
    return chains * n;
  });
  return { viaTrampoline, viaImports };
}

console.log(`Hops between functions of different modules, ${STEPS} steps ` +
  `each (${process.execArgv.join(' ') || 'V8 default tiering'}), ns a hop:`);
console.log('  modules  trampoline  imports');
for (const n of SETS) {
  const { viaTrampoline, viaImports } = measure(n);
  console.log(`  ${String(n).padStart(7)}  ${viaTrampoline.toFixed(1).padStart(10)}  ` +
    `${viaImports.toFixed(1).padStart(7)}`);
}
