// What a longjmp() costs this build: Emscripten makes it a JavaScript
// throw, which V8 unwinds frame by frame up to the try/catch of the
// invoke_* wrapper that the setjmp() is under (cpu_exec()'s, for a guest
// page fault or an access to a device that restarts its instruction).
// A chain of DEPTH wasm functions, the innermost calling a JavaScript
// function that throws, is called from a try/catch, with and without
// PADDING more functions compiled in the same module (QEMU's own module
// holds thousands) and with 1000 more modules instantiated (the
// backend's blocks come in hundreds of modules).  A report, not a test:
//
//   node bench/throw-cost.mjs
//
// THROW_DEPTHS=2,8,16,32 and THROW_PADDING=0,20000 change the shapes.

import v8 from 'node:v8';
import { HEADER, name, section, sleb, uleb, vector } from './wasm-bytes.mjs';

const DEPTHS = (process.env.THROW_DEPTHS || '2,8,16,32').split(',').map(Number);
const PADDING = (process.env.THROW_PADDING || '0,20000').split(',').map(Number);
const MODULES = [0, 1000];
const THROWS = 20000;
const ROUNDS = 5;

const OP = {
  call: 0x10, nop: 0x01, end: 0x0b, localGet: 0x20, localSet: 0x21,
  i32Const: 0x41, i32Add: 0x6a,
};
const I32 = 0x7f;
// (type 0 (func))
const VOID_TYPE = [0x60, 0, 0];

const bodyOf = (locals, code) => {
  const all = [...locals, ...code, OP.end];
  return [...uleb(all.length), ...all];
};

// Function 0 is the import; function k + 1 calls function k and then
// does something, so that the call is not the function's last act.
// The padding functions add to a local twenty times and are never
// called.  Exports the outermost of the chain as "run".
function chainModule(depth, padding) {
  const bodies = [];
  for (let k = 0; k < depth; k++) {
    bodies.push(bodyOf([0], [OP.call, ...uleb(k), OP.nop]));
  }
  for (let p = 0; p < padding; p++) {
    const code = [];
    for (let i = 0; i < 20; i++) {
      code.push(OP.localGet, 0, OP.i32Const, ...sleb(i * 7 + p), OP.i32Add,
        OP.localSet, 0);
    }
    bodies.push(bodyOf([1, 1, I32], code));
  }
  return new WebAssembly.Module(new Uint8Array([...HEADER,
    ...section(1, vector([VOID_TYPE])),
    ...section(2, vector([[...name('e'), ...name('t'), 0x00, 0]])),
    ...section(3, vector(Array.from({ length: depth + padding }, () => [0]))),
    ...section(7, vector([[...name('run'), 0x00, depth]])),
    ...section(10, vector(bodies))]));
}

const thrower = () => {
  throw Infinity;    // what Emscripten's longjmp() throws
};

// Microseconds a throw, the fastest of ROUNDS rounds.
function measure(depth, padding) {
  const { run } = new WebAssembly.Instance(chainModule(depth, padding),
    { e: { t: thrower } }).exports;
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < THROWS; i++) {
      try {
        run();
      } catch (e) {
        if (e !== Infinity) throw e;
      }
    }
    best = Math.min(best, (performance.now() - t0) * 1000 / THROWS);
  }
  return best;
}

// As the launcher does once QEMU's module is compiled: every function
// of a module compiled when it is made, so the padding is code.
v8.setFlagsFromString('--no-wasm-lazy-compilation');

// Once before the table, so that its first row does not include the
// JavaScript loop's own warming up.
measure(DEPTHS[0], 0);
const others = [];
console.log('A JavaScript throw through a chain of wasm calls, caught by ' +
  'the JavaScript that made the outermost call (us a throw):');
console.log(`  modules  padding  ${DEPTHS.map((d) => `depth ${d}`.padStart(9)).join('')}`);
for (const modules of MODULES) {
  while (others.length < modules) {
    others.push(new WebAssembly.Instance(chainModule(1, 4),
      { e: { t: () => {} } }));
  }
  for (const padding of PADDING) {
    const row = DEPTHS.map((d) => measure(d, padding).toFixed(2).padStart(9));
    console.log(`  ${String(modules).padStart(7)}  ${String(padding).padStart(7)}  ${row.join('')}`);
  }
}
