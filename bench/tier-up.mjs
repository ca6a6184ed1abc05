// Which of QEMU's own wasm functions V8 recompiles with TurboFan during
// a boot, when, and at what cost: V8 compiles each function with Liftoff
// on its first call and with TurboFan once Liftoff's code has used up a
// budget, and its worker thread does the latter on the core that the
// vCPU thread shares with everything else.  Boots the demo guest with
// `--trace-wasm-compilation-times` (V8's own timing of each compile) and
// prints, for QEMU's module and for the blocks' modules, how many
// functions TurboFan compiled and for how long up to SeaBIOS's banner
// and up to the shell's prompt, and QEMU's largest compiles.  A report,
// not a test; a few seconds a boot:
//
//   node bench/tier-up.mjs
//
// Environment: BENCH_ARCH (x86_64, i386), BENCH_ROUNDS (boots, each
// reported), QEMU_WASM_NODE (the Node.js to run QEMU under),
// QEMU_WASM_NAMES (the same build linked with --profiling-funcs, whose
// name section names the functions: build/qemu-profiling/
// qemu-system-x86_64.wasm from `make qemu-profiling`; without it they
// go by their index), TIER_UP_TOP (how many compiles to list).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { PROMPT, BOOT_TIMEOUT_MS, nodeWithFlags } from '../tests/guest.mjs';
import {
  CONFIGS, ARCHES, command, guestEnv, guestFiles, listFromEnv,
} from './run.mjs';

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS || 1));
const TOP = Math.max(1, Number(process.env.TIER_UP_TOP || 8));
// V8's line for a TurboFan compile: the module (its address), the
// function's index, V8's time for it and its body's size in wasm bytes.
const TRACE = /^Compiled function (0x[0-9a-f]+)#(\d+) using TurboFan, took (\d+) ms.* bodysize (\d+)/;
const BANNER = /SeaBIOS \(version/;

function log(msg) {
  process.stderr.write(`tier-up: ${msg}\n`);
}

// The function names of a wasm file's name section, by function index
// (imports included, as V8 numbers them).
function functionNames(file) {
  const names = new Map();
  const mod = new WebAssembly.Module(fs.readFileSync(file));
  const [section] = WebAssembly.Module.customSections(mod, 'name');
  if (!section) return names;
  const b = new Uint8Array(section);
  let p = 0;
  const uleb = () => {
    let v = 0;
    let shift = 0;
    let byte;
    do {
      byte = b[p++];
      v += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return v;
  };
  while (p < b.length) {
    const id = b[p++];
    const end = uleb() + p;
    if (id === 1) { // function names
      for (let n = uleb(); n > 0; n--) {
        const index = uleb();
        const len = uleb();
        names.set(index, Buffer.from(b.subarray(p, p + len)).toString());
        p += len;
      }
    }
    p = end;
  }
  return names;
}

// The QEMU that is booting, for a signal to stop.
let running;

// One boot to the prompt.  V8 prints its trace on QEMU's stdout, where
// it would cut into the console's text: the console goes to a file.
async function boot(arch, node, dir) {
  const config = CONFIGS.find((c) => c.name === 'default');
  const files = guestFiles(arch);
  const serial = path.join(dir, `console-${arch}.txt`);
  fs.rmSync(serial, { force: true });
  const [bin, args] = command(config, files, files.initramfs);
  const t0 = performance.now();
  const since = () => (performance.now() - t0) / 1000;
  const qemu = spawn(bin, [...args, '-serial', `file:${serial}`], {
    env: { ...process.env, ...guestEnv(config), QEMU_WASM_NODE: node },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running = qemu;
  const compiles = [];
  let partial = '';
  let stderr = '';
  qemu.stdout.on('data', (d) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      const m = TRACE.exec(line);
      if (m) {
        compiles.push({ module: m[1], index: Number(m[2]), ms: Number(m[3]),
          bytes: Number(m[4]), at: since() });
      }
    }
  });
  qemu.stderr.on('data', (d) => { stderr += d; });
  let banner;
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const text = fs.existsSync(serial) ? fs.readFileSync(serial, 'latin1') : '';
      if (banner === undefined && BANNER.test(text)) banner = since();
      if (PROMPT.test(text)) break;
      if (qemu.exitCode !== null || qemu.signalCode !== null) {
        throw new Error(`QEMU exited before the prompt: ${stderr.trim()}`);
      }
      if (since() * 1000 > BOOT_TIMEOUT_MS) throw new Error('no prompt in time');
    }
  } finally {
    qemu.kill('SIGKILL');
  }
  return { banner, prompt: since(), compiles };
}

function sum(list) {
  return `${list.length} functions in ${list.reduce((s, c) => s + c.ms, 0)} ms`;
}

function report(arch, r, names) {
  // QEMU's module is the one whose functions number in the thousands;
  // the backend's modules hold a batch of blocks each, a few hundred
  // functions with their imports.
  const big = new Set(r.compiles.filter((c) => c.index >= 5000)
    .map((c) => c.module));
  const qemu = r.compiles.filter((c) => big.has(c.module));
  const blocks = r.compiles.filter((c) => !big.has(c.module));
  const upTo = (list, t) => list.filter((c) => c.at <= t);
  const when = r.banner ?? r.prompt;
  console.log(`${arch}: banner after ${r.banner?.toFixed(2) ?? '-'} s, ` +
    `prompt after ${r.prompt.toFixed(2)} s`);
  console.log(`  QEMU's functions to TurboFan: ${sum(upTo(qemu, when))} by the ` +
    `banner, ${sum(qemu)} by the prompt`);
  console.log(`  blocks' functions to TurboFan: ${sum(upTo(blocks, when))} by ` +
    `the banner, ${sum(blocks)} by the prompt`);
  console.log('      ms  wasm bytes  done at  function');
  for (const c of [...qemu].sort((a, b) => b.ms - a.ms).slice(0, TOP)) {
    console.log(`  ${String(c.ms).padStart(6)}  ${String(c.bytes).padStart(10)}` +
      `  ${c.at.toFixed(2).padStart(6)} s  #${c.index}` +
      `${names.has(c.index) ? ` ${names.get(c.index)}` : ''}`);
  }
}

const names = process.env.QEMU_WASM_NAMES ?
  functionNames(process.env.QEMU_WASM_NAMES) : new Map();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tier-up-'));
const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    running?.kill('SIGKILL');
    removeDir();
    process.exit(128 + os.constants.signals[signal]);
  });
}
try {
  // The Node.js that bin/qemu-system-x86_64 would run, printing V8's
  // compile times.
  const node = nodeWithFlags(path.join(dir, 'node'),
    process.env.QEMU_WASM_NODE || 'node', ['--trace-wasm-compilation-times']);
  for (const arch of listFromEnv('BENCH_ARCH', ARCHES)) {
    for (let round = 1; round <= ROUNDS; round++) {
      log(`booting ${arch} (${round} of ${ROUNDS})`);
      report(arch, await boot(arch, node, dir), names);
    }
  }
} finally {
  removeDir();
}
