// How soon V8 recompiles a hot wasm function with its optimizing
// compiler.  V8 compiles each function with Liftoff first, and with
// TurboFan once Liftoff's code has used up a budget (roughly, bytes of
// code run).  Node.js 20's V8 (11.3) sets that budget to 1.8 million,
// Node.js 24's (13.6) to 13 million.  With the lower one, TurboFan also
// compiles the many block functions that QEMU's backend makes which are
// only lukewarm, on a core that the vCPU thread needs: over an x86_64
// boot and three runs of an ash loop it compiled 3924 functions in 16.1
// s instead of 1967 in 8.3 s.  So older V8s get the newer default, unless
// the command line sets one.  V8 reads the flag when it instantiates a
// module and when a function tiers up, so setting it before the first
// module is soon enough.  Browsers keep their own.

import v8 from 'node:v8';

export const TIERING_BUDGET = 13000000;

export function raiseTieringBudget() {
  const [major, minor] = process.versions.v8.split('.').map(Number);
  const given = process.execArgv.some((a) =>
    /^--wasm[-_]tiering[-_]budget\b/.test(a));
  if (!given && (major < 13 || (major === 13 && minor < 6))) {
    v8.setFlagsFromString(`--wasm-tiering-budget=${TIERING_BUDGET}`);
  }
}
