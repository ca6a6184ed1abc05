// V8 settings for QEMU's wasm code that Node.js does not give by
// default.  V8 reads these flags whenever it compiles or instantiates a
// module, so setting them from here, before the modules they are for,
// is soon enough, and keeps them off the wrapper's command line, where
// finding out whether they are needed took a second start of Node.js.
// A flag that Node.js's command line gives wins.  Browsers keep their
// own settings.

import v8 from 'node:v8';

// Whether Node.js's command line gives the V8 flag @name, in either
// spelling (- or _) and, for a boolean, either sense (--no-@name).
function given(name) {
  const re = new RegExp(`^--(no-)?${name.replace(/[-_]/g, '[-_]')}(=|$)`);
  return process.execArgv.some((a) => re.test(a));
}

// Whether this V8 is older than @major.@minor.
function v8Before(major, minor) {
  const [have, haveMinor] = process.versions.v8.split('.').map(Number);
  return have < major || (have === major && haveMinor < minor);
}

// The backend's modules say which branches are likely, in a custom
// section that engines without the feature skip.  V8 reads it by default
// from version 13.7 (Chrome 137); older ones, back to Node.js 18's, need
// the flag.
export function readBranchHints() {
  if (v8Before(13, 7)) {
    v8.setFlagsFromString('--experimental-wasm-branch-hinting');
  }
}

// How soon V8 recompiles a hot wasm function with its optimizing
// compiler.  V8 compiles each function with Liftoff first, and with
// TurboFan once Liftoff's code has used up a budget (roughly, bytes of
// code run).  Node.js 20's V8 (11.3) sets that budget to 1.8 million,
// Node.js 24's (13.6) to 13 million.  With the lower one, TurboFan also
// compiles the many block functions that QEMU's backend makes which are
// only lukewarm, on a core that the vCPU thread needs: over an x86_64
// boot and three runs of an ash loop it compiled 3924 functions in 16.1
// s instead of 1967 in 8.3 s.  So older V8s get the newer default, unless
// the command line sets one.  V8 gives a module the budget in force
// when the module is compiled, for all of its instances: called once the
// emulator's own module is compiled, this leaves the emulator's own
// functions (the interpreter, the translator) V8's budget in every thread
// that instantiates it, so that they reach TurboFan sooner, and gives the
// higher one to the modules it makes.
export function raiseTieringBudget() {
  if (!given('wasm-tiering-budget') && v8Before(13, 6)) {
    v8.setFlagsFromString('--wasm-tiering-budget=13000000');
  }
}

// When V8 compiles the functions of the modules that QEMU's backend
// makes for hot blocks.  By default it compiles each function on its
// first call, which on a vCPU thread stops the guest for a call into V8
// and a Liftoff compile; compiling all of them with the module takes one
// call into V8 instead of one per function.  Called once QEMU's own
// module is compiled, which stays lazy: compiled eagerly, its 15 MB (as
// it was then) took Node.js half a second longer to start.
export function compileBlocksEagerly() {
  if (!given('wasm-lazy-compilation')) {
    v8.setFlagsFromString('--no-wasm-lazy-compilation');
  }
}

// When V8 validates the functions of QEMU's own module.  By default it
// validates all of them before the module can be instantiated, 12.6 MB
// of wasm of which a boot calls a fraction; lazily, it validates each
// function when it first compiles it, as it compiles them anyway.  In
// 18 alternating starts with the x86_64 guest's kernel, QEMU was ready
// with -S after 923 ms on average instead of 967 ms (sooner in 13).
// Called with false once that module is compiled: the backend's modules
// are compiled whole, and one that V8 rejects must be rejected before
// its blocks leave the interpreter.
export function validateLazily(lazy) {
  if (!given('wasm-lazy-validation')) {
    v8.setFlagsFromString(lazy ? '--wasm-lazy-validation'
      : '--no-wasm-lazy-validation');
  }
}
