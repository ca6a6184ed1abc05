// The benchmark of the wasm32 TCG backend (`make bench`): boot the
// x86_64 and i386 demo guests on each emulator configuration, run the
// workloads of bench/workloads.mjs on the serial console, time each from
// the host (command sent to prompt back), check that every configuration
// printed the same, and write the report (bench/report.mjs).
//
// Environment (all optional; `make bench VAR=...` passes them on):
//   BENCH_QUICK=1        small sizes, for developing the benchmark
//   BENCH=shell,gzip     only these workloads (boot is always timed)
//   BENCH_CONFIGS=native,v86   only these configurations
//   BENCH_ARCH=i386      only these guests (x86_64, i386)
//   BENCH_REPEAT=3       time each workload N times, keep the fastest
//   BENCH_ROUNDS=3       boot every configuration N times, in a rotated
//                        order, and keep each workload's fastest time
//   BENCH_TIMEOUT_S=1800 give up a workload after this long
//   BENCH_OUT=DIR        where the report goes (default build/bench)
//   BENCH_MERGE=1        keep the other configurations' columns from the
//                        last run's results.json there
//   BENCH_B='VAR=value ...'  add a column "wasm32 B", the default policy
//                        started with these environment variables (say
//                        QEMU_WASM_BUILD=dir, another build), its times
//                        also as ratios to the default column's
//   BOOT_TIMEOUT_S=900   give up a boot after this long

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  Guest, PROMPT, TOP, OUT, GUEST, WASM_QEMU, NATIVE_QEMU, BOOT_TIMEOUT_MS,
} from '../tests/guest.mjs';
import { workloads, setupCommand, sizes } from './workloads.mjs';
import { writeReport } from './report.mjs';

const BENCH_OUT = process.env.BENCH_OUT || path.join(OUT, 'bench');
// The guest's inputs stay under build/ wherever the report goes: the
// native QEMU runs in the toolchain's chroot, which does not see /tmp.
const INPUTS = path.join(OUT, 'bench-inputs');
const SIZE = process.env.BENCH_QUICK === '1' ? 'quick' : 'full';
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT || 1));
// The machine's speed drifts from one minute to the next, the wasm32
// build's more than native QEMU's: rounds spread each configuration's
// runs over the whole benchmark.
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS || 1));
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S || 1800) * 1000;

// What each column runs.  The QEMU options of the wasm backend are
// passed even to a build that does not know them yet: it refuses them
// at start-up, and the column says so.  wasm-stats=on changes nothing
// but a line of counts at exit, which the report shows beside the times.
export const CONFIGS = [
  { name: 'default', label: 'wasm32 default', binary: WASM_QEMU,
    accel: ['-accel', 'tcg,wasm-stats=on'] },
  { name: 'wasm-off', label: 'wasm32 wasm=off', binary: WASM_QEMU,
    accel: ['-accel', 'tcg,wasm=off'] },
  { name: 'threshold1', label: 'wasm32 threshold=1', binary: WASM_QEMU,
    accel: ['-accel', 'tcg,wasm-threshold=1,wasm-stats=on'] },
  { name: 'native', label: 'native QEMU TCG', binary: NATIVE_QEMU, accel: [] },
  { name: 'v86', label: 'v86', v86: true, arches: ['i386'] },
];

// BENCH_B's NAME=value words as an environment, or null.  An A/B
// comparison in one run: the rounds rotate the B column with the others,
// so both see the same drift of the machine's speed.
export function benchBEnv(text = process.env.BENCH_B) {
  if (!text || !text.trim()) return null;
  const env = {};
  for (const word of text.trim().split(/\s+/)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(word);
    if (!m) throw new Error(`BENCH_B: '${word}' is not NAME=value`);
    env[m[1]] = m[2];
  }
  return env;
}

// A bad BENCH_B fails the benchmark's main() with its one line; the
// scripts that only import this file go on without the column.
let bEnvError = null;
const B_ENV = (() => {
  try {
    return benchBEnv();
  } catch (e) {
    bEnvError = e;
    return null;
  }
})();
if (B_ENV) {
  CONFIGS.push({ name: 'b', label: 'wasm32 B', binary: WASM_QEMU,
    accel: CONFIGS[0].accel, env: B_ENV });
}

// The wasm32 module that the launcher runs with environment @env (a
// configuration's, over the benchmark's own): QEMU_WASM_BUILD's folder
// or build/qemu.
function wasmModule(env = {}) {
  const dir = env.QEMU_WASM_BUILD || process.env.QEMU_WASM_BUILD ||
    path.join(TOP, 'build', 'qemu');
  return path.join(dir, 'qemu-system-x86_64.wasm');
}

// @env as the NAME=value words of a command line.
function envWords(env = {}) {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

// The two guests.  x86_64 boots the uncompressed kernel through PVH when
// it is there, as the tests do; v86 only takes a bzImage, and the i386
// (686) kernel has no PVH entry anyway.
export const ARCHES = ['x86_64', 'i386'];

export function guestFiles(arch) {
  const dir = arch === 'i386' ? path.join(GUEST, 'i386') : GUEST;
  const vmlinux = path.join(dir, 'vmlinux');
  return {
    dir,
    kernel: fs.existsSync(vmlinux) ? vmlinux : path.join(dir, 'bzImage'),
    bzImage: path.join(dir, 'bzImage'),
    initramfs: path.join(dir, 'initramfs.cpio.gz'),
    cmdline: fs.readFileSync(path.join(dir, 'cmdline'), 'utf8').trim(),
  };
}

export function listFromEnv(name, all) {
  const v = process.env[name];
  if (!v) return all;
  const want = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const w of want) {
    if (!all.includes(w)) {
      throw new Error(`${name}: unknown '${w}' (known: ${all.join(', ')})`);
    }
  }
  return all.filter((a) => want.includes(a));
}

// The configurations that BENCH_CONFIGS names, any of @all; those named
// in @defaults (all of them if none) when it is not set.
export function configsFromEnv(defaults, all = CONFIGS) {
  const known = all.map((c) => c.name);
  const names = process.env.BENCH_CONFIGS
    ? listFromEnv('BENCH_CONFIGS', known) : defaults || known;
  return all.filter((c) => names.includes(c.name));
}

// @list turned left by @round places: each round of sessions starts
// with another configuration, as the machine's speed drifts.
export function rotated(list, round) {
  const k = round % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

// Whether configuration @c boots the @arch guest (v86: i386 only).
export function runsOn(c, arch) {
  return !c.arches || c.arches.includes(arch);
}

// The guest's initramfs plus cbench at /usr/bin/cbench (newc archives
// concatenated: Linux unpacks one after the other).
export function makeInitrd(arch, files) {
  const extra = path.join(INPUTS, `extra-${arch}.cpio.gz`);
  execFileSync(path.join(TOP, 'scripts', 'guest.sh'),
    ['extra-cpio', extra, `${path.join(INPUTS, `cbench-${arch}`)}:/usr/bin/cbench`]);
  const initrd = path.join(INPUTS, `initrd-${arch}.cpio.gz`);
  fs.writeFileSync(initrd, Buffer.concat([
    fs.readFileSync(files.initramfs), fs.readFileSync(extra)]));
  fs.rmSync(extra);
  return initrd;
}

// v86 gets the V8 worker pool that bin/qemu-system-x86_64 gives QEMU
// (one thread fewer than cores, at most V8's default of four): both
// compile wasm in the background.
const V8_POOL = `--v8-pool-size=${Math.min(4, Math.max(1, os.cpus().length - 1))}`;

// And the Node.js that QEMU_WASM_NODE picks for QEMU, so that both run
// on the same V8.
const V86_NODE = process.env.QEMU_WASM_NODE || process.execPath;

// That Node.js's version, for the report's header.
function emulatorNodeVersion() {
  if (!process.env.QEMU_WASM_NODE) return process.version;
  try {
    return execFileSync(V86_NODE, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return `${V86_NODE} (no version)`;
  }
}

export function command(config, files, initrd) {
  if (config.v86) {
    return [V86_NODE, [V8_POOL, path.join(TOP, 'bench', 'v86-run.mjs'),
      '--bios', path.join(GUEST, 'firmware', 'bios.bin'),
      '--vga-bios', path.join(GUEST, 'firmware', 'vgabios-stdvga.bin'),
      '--kernel', files.bzImage, '--initrd', initrd,
      '--append', files.cmdline, '--mem', '256']];
  }
  return [config.binary, [...config.accel,
    '-nographic', '-nic', 'none', '-m', '256M', '-no-reboot',
    '-L', path.join(GUEST, 'firmware'), '-kernel', files.kernel,
    '-initrd', initrd, '-append', files.cmdline]];
}

// The environment an emulator starts with: v86's Node.js without the
// extra certificates that bin/qemu-system-x86_64 drops for QEMU's (50
// ms of each start).
export function guestEnv(config) {
  return config.v86 ? { NODE_EXTRA_CA_CERTS: undefined } : { ...config.env };
}

// Why a configuration cannot run at all on this machine, or null.
export function unavailable(config) {
  if (config.v86) {
    try {
      createRequire(import.meta.url).resolve('v86');
    } catch {
      return 'npm package v86 not installed (npm install)';
    }
    return null;
  }
  if (!fs.existsSync(config.binary)) return `${config.binary} not built`;
  const wasm = config.binary === WASM_QEMU && wasmModule(config.env);
  if (wasm && !fs.existsSync(wasm)) {
    return wasm === path.join(TOP, 'build', 'qemu', 'qemu-system-x86_64.wasm')
      ? 'build/qemu not built (make build)' : `${wasm} not built`;
  }
  return null;
}

// The configurations of @configs that can boot the @arch guest on this
// machine, each that cannot given to @log with the reason; null if the
// guest is not built.  For the reports beside the benchmark.
export function usableConfigs(configs, arch, log) {
  try {
    guestFiles(arch);
  } catch {
    log(`${arch}: n/a: guest not built (bench/setup.sh builds it)`);
    return null;
  }
  return configs.filter((c) => {
    const why = (!runsOn(c, arch) &&
      `runs ${c.arches.join('/')} guests only`) || unavailable(c);
    if (why) log(`${arch} ${c.name}: n/a: ${why}`);
    return !why;
  });
}

// Run one command on the console and time it from the host: from
// sending the line until the shell's prompt is back.  The markers are
// split in the typed line so that its echo cannot match.
export async function timed(vm, cmd, timeoutMs) {
  const n = ++vm.seq;
  const from = vm.output.length;
  const t0 = performance.now();
  vm.send(`echo "@@""B${n}"; ${cmd}; echo "@@""E${n}"\n`);
  const re = new RegExp(`\\r?\\n@@B${n}\\r?\\n([\\s\\S]*?)@@E${n}\\r?\\n`);
  const { match, end } = await vm.waitFor(re, timeoutMs, from);
  await vm.waitFor(PROMPT, timeoutMs, end);
  return {
    seconds: (performance.now() - t0) / 1000,
    output: match[1].replace(/\r/g, '').trim(),
  };
}

// The one line that says why QEMU gave up, e.g. an unknown -accel
// property of a build that predates the wasm backend.
function exitReason(vm) {
  const lines = vm.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = lines.find((l) => /error|not found|invalid|unknown|property/i.test(l));
  const e = vm.exited;
  const code = !e ? '' : e.signal ? `killed by ${e.signal}` : `exited with status ${e.code}`;
  return (err || lines[0] || code || 'exited').slice(0, 200);
}

function log(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

// The counts that wasm-stats=on prints at exit (see tcg_wasm_report()
// in tcg/wasm32/jit.c.inc), or null if there are none.
export function backendCounts(stderr) {
  const line = stderr.split('\n').find((l) => /wasm32: \d+ blocks compiled/.test(l));
  if (!line) return null;
  const num = (re) => {
    const m = line.match(re);
    return m ? Number(m[1]) : null;
  };
  return {
    compiled: num(/(\d+) blocks compiled/),
    joined: num(/with (\d+) more in their regions/),
    modules: num(/in (\d+) modules/),
    background: num(/\((\d+) compiled by a worker\)/),
    kib: num(/(\d+) KiB of wasm/),
    compileMs: num(/([\d.]+) ms;/),
    loops: num(/(\d+) of their functions loop/),
    brTable: num(/(\d+) of those through a br_table/),
    copied: num(/(\d+) with blocks copied/),
    evicted: num(/(\d+) evicted/),
    dropped: num(/(\d+) dropped \(/),
    flushed: num(/dropped \((\d+) by/),
    flushes: num(/(\d+) tb_flush\(\)es/),
    entries: num(/(\d+) entries from the interpreter/),
    hops: num(/(\d+) block-to-block hops in compiled code through the trampoline/),
    direct: num(/trampoline, (\d+) within modules/),
    imported: num(/within modules and (\d+) into earlier ones/),
    importedBlocks: num(/(\d+) blocks imported/),
    importsGone: num(/(\d+) of them gone before their importer/),
    returns: num(/(\d+) returns to the interpreter/),
  };
}

// Stop a guest: QEMU powers off with the guest; v86 cannot, and ends
// with its stdin.  Either is killed if it lingers.
export async function stop(vm, config) {
  if (vm.exited) return;
  if (config.v86) vm.proc.stdin.end();
  else vm.send('poweroff -f\n');
  const timer = setTimeout(() => vm.kill(), 30000);
  await vm.exit;
  clearTimeout(timer);
}

// Time `w` REPEAT times in a running guest; the fastest run counts, and
// output that changes between runs is a failure of its own.
async function measure(vm, w) {
  const runs = [];
  for (let i = 0; i < REPEAT; i++) runs.push(await timed(vm, w.cmd, TIMEOUT_MS));
  const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  if (runs.some((r) => r.output !== best.output)) best.unstable = true;
  if (REPEAT > 1 && !runs.some((r) => r.error)) {
    best.slowest = Math.max(...runs.map((r) => r.seconds));
  }
  return best;
}

// One boot of one configuration on one guest, then every workload in
// the same VM.  Results go to `record(workload, result)`, the backend's
// counts over the session to `counted(counts)`; returns {na: reason}
// when the emulator would not start at all.
async function session(config, arch, files, initrd, list, record, counted, round) {
  const [bin, args] = command(config, files, initrd);
  const tag = `${arch} ${config.name}${ROUNDS > 1 ? ` #${round + 1}` : ''}`;
  log(`${tag}: ${[...envWords(config.env), bin, ...args].join(' ').slice(0, 300)}`);
  const t0 = performance.now();
  const vm = new Guest(bin, args, guestEnv(config));
  // The console, for looking into a failure or a strange time.
  const consoleLog = fs.createWriteStream(path.join(BENCH_OUT,
    `console-${arch}-${config.name}${ROUNDS > 1 ? `-${round + 1}` : ''}.log`));
  vm.proc.stdout.pipe(consoleLog);
  vm.proc.stderr.pipe(consoleLog);
  // What failed, for the workloads that then cannot run.
  const failed = (what, e) => {
    const why = vm.exited ? exitReason(vm) : `${what} timed out`;
    log(`${tag}: ${what} failed: ${e.message.slice(0, 300)}`);
    return why;
  };
  let broken = null;
  try {
    try {
      await vm.waitFor(PROMPT, BOOT_TIMEOUT_MS);
      const seconds = (performance.now() - t0) / 1000;
      record('boot', { seconds, output: '' });
      log(`${tag}: boot ${seconds.toFixed(1)} s`);
    } catch (e) {
      if (vm.exited && !vm.output.includes('\n')) return { na: exitReason(vm) };
      broken = failed('boot', e);
      record('boot', { error: broken });
    }
    if (!broken) {
      try {
        const setup = await timed(vm, setupCommand(SIZE), TIMEOUT_MS);
        log(`${tag}: setup (untimed) ${setup.seconds.toFixed(1)} s: ${setup.output}`);
      } catch (e) {
        broken = failed('setup', e);
      }
    }
    for (const w of list) {
      if (broken) {
        record(w.name, { error: `not run: ${broken}` });
        continue;
      }
      try {
        const best = await measure(vm, w);
        record(w.name, best);
        log(`${tag}: ${w.name} ${best.seconds.toFixed(2)} s: ` +
          best.output.replace(/\n/g, ' | ').slice(0, 120));
      } catch (e) {
        broken = failed(w.name, e);
        record(w.name, { error: broken });
      }
    }
    return {};
  } finally {
    await stop(vm, config);
    const counts = backendCounts(vm.stderr);
    if (counts) counted(counts);
  }
}

// BENCH_MERGE=1: the last run's results, to keep the columns this run
// does not measure (say, native and v86 while the wasm build changes).
function previous(file, size) {
  if (!fs.existsSync(file)) return null;
  const old = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (old.size !== size) {
    throw new Error(`BENCH_MERGE: ${file} has ${old.size} sizes, not ${size}`);
  }
  return old;
}

function keepColumn(data, old, name) {
  const entry = old.configs.find((c) => c.name === name);
  const mine = (r) => r.config === name && data.arches.includes(r.arch);
  data.configs.push({ ...entry, from: entry.from || old.started });
  data.results.push(...old.results.filter(mine));
  data.counts.push(...(old.counts || []).filter(mine));
}

// cbench for both guests: freestanding, so no 32-bit libc is needed.
export function buildCbench() {
  fs.mkdirSync(BENCH_OUT, { recursive: true });
  fs.mkdirSync(INPUTS, { recursive: true });
  execFileSync(path.join(TOP, 'bench', 'setup.sh'), ['cbench', INPUTS],
    { stdio: 'inherit' });
}

function hostInfo() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model || 'unknown', cores: cpus.length,
    node: emulatorNodeVersion(), loadavg: os.loadavg().map((x) => x.toFixed(2)),
  };
}

// Which builds were measured: the wasm32 build changes often, so a
// report names its file and date.
function buildInfo() {
  const stamp = (file) => {
    try {
      const st = fs.statSync(file);
      return { file: path.relative(TOP, file), mtime: st.mtime.toISOString(), bytes: st.size };
    } catch {
      return null;
    }
  };
  let v86 = null;
  try {
    const pkg = createRequire(import.meta.url).resolve('v86/package.json');
    v86 = JSON.parse(fs.readFileSync(pkg, 'utf8')).version;
  } catch {
    // Not installed: its column says so.
  }
  return {
    wasm: stamp(wasmModule()),
    ...(B_ENV?.QEMU_WASM_BUILD ? { b: stamp(wasmModule(B_ENV)) } : {}),
    native: stamp(path.join(OUT, 'native', 'bin', 'qemu-system-x86_64')),
    v86,
  };
}

// Keep the faster of two results of one workload, and the slower time
// as well, for the report's spread; an error in any round stands, and
// output that changed between rounds is flagged.
function merge(had, r) {
  if (had.error || r.error) return had.error ? had : r;
  const best = r.seconds < had.seconds ? r : had;
  return {
    ...best,
    slowest: Math.max(had.slowest ?? had.seconds, r.slowest ?? r.seconds),
    unstable: had.unstable || r.unstable || had.output !== r.output,
  };
}

// One session of @config on @arch, its results merged into @data.
async function runConfig(data, save, config, arch, files, initrd, list, round) {
  const entry = data.configs.find((c) => c.name === config.name);
  if (entry.na[arch]) return; // so in an earlier round
  if (!runsOn(config, arch)) {
    entry.na[arch] = `${config.label} runs ${config.arches.join('/')} guests only`;
    return;
  }
  const why = unavailable(config);
  if (why) {
    entry.na[arch] = why;
    log(`${arch} ${config.name}: n/a: ${why}`);
    return;
  }
  const record = (workload, r) => {
    const i = data.results.findIndex((x) => x.arch === arch &&
      x.config === config.name && x.workload === workload);
    const mine = { arch, config: config.name, workload, ...r };
    if (i < 0) data.results.push(mine);
    else data.results[i] = merge(data.results[i], mine);
    save();
  };
  const counted = (c) => {
    data.counts.push({ arch, config: config.name, ...(ROUNDS > 1 ? { round } : {}), ...c });
    save();
  };
  const { na } = await session(config, arch, files, initrd, list, record, counted, round);
  if (na) {
    entry.na[arch] = na;
    log(`${arch} ${config.name}: n/a: ${na}`);
  }
  save();
}

async function main() {
  if (bEnvError) throw bEnvError;
  const all = workloads(SIZE);
  const names = listFromEnv('BENCH', ['boot', ...all.map((w) => w.name)]);
  const list = all.filter((w) => names.includes(w.name));
  const configs = configsFromEnv();
  const arches = listFromEnv('BENCH_ARCH', ARCHES);
  buildCbench();

  const started = new Date();
  const data = {
    started: started.toISOString(), size: SIZE, sizes: sizes(SIZE),
    repeat: REPEAT, rounds: ROUNDS, host: hostInfo(), builds: buildInfo(),
    workloads: [{ name: 'boot', cpu: false, what: 'start to shell prompt' },
      ...list.map(({ name, cpu, what, cmd }) => ({ name, cpu, what, cmd }))],
    arches, configs: [], results: [], counts: [],
  };
  const jsonFile = path.join(BENCH_OUT, 'results.json');
  const save = () => fs.writeFileSync(jsonFile, JSON.stringify(data, null, 2) + '\n');

  const old = process.env.BENCH_MERGE === '1' ? previous(jsonFile, SIZE) : null;
  for (const config of CONFIGS) {
    const { v86, binary, accel, env, ...rest } = config;
    if (configs.includes(config)) {
      data.configs.push({ ...rest, command: v86 ? `node ${V8_POOL} bench/v86-run.mjs` :
        [...envWords(env), path.relative(TOP, binary), ...accel].join(' '), na: {} });
    } else if (old?.configs.some((c) => c.name === config.name)) {
      keepColumn(data, old, config.name);
    }
  }
  const guests = arches.map((arch) => {
    const files = guestFiles(arch);
    return { arch, files, initrd: makeInitrd(arch, files) };
  });
  for (let round = 0; round < ROUNDS; round++) {
    for (const { arch, files, initrd } of guests) {
      for (const config of rotated(configs, round)) {
        await runConfig(data, save, config, arch, files, initrd, list, round);
      }
    }
  }
  data.finished = new Date().toISOString();
  data.host.loadavgEnd = os.loadavg().map((x) => x.toFixed(2));
  save();
  const text = writeReport(data, BENCH_OUT);
  process.stdout.write(text);
  log(`report: ${path.relative(process.cwd(), BENCH_OUT) || '.'}/report.{txt,md,svg}, results.json`);
}

// Run only as a program: the tests import backendCounts(), and
// bench/boot-phases.mjs the guests, commands, environment and stop().
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((e) => {
    log(`error: ${e.message}`);
    process.exit(1);
  });
}
