// Where a boot's time goes, phase by phase, on each emulator: from
// starting the process to the firmware's banner, to the kernel's loader,
// to the kernel's first message, to running /init and to the shell's
// prompt, timed from the host by the console's output.  For each QEMU
// the report adds how busy its threads were until the prompt (Linux's
// /proc/PID/task/TID/schedstat): the busiest one, the vCPU thread, on a
// core and waiting for one, and all threads together.  A report, not a
// test; a minute or two:
//
//   node bench/boot-phases.mjs
//
// The guests boot with the benchmark's kernel command line plus
// loglevel=7, so that the kernel prints the messages the phases end at
// (which makes each boot a little longer than the benchmark's).
// Environment, as for bench/run.mjs: BENCH_ARCH (x86_64, i386),
// BENCH_CONFIGS (of default, wasm-off, threshold1, native, v86; default
// default,native,v86), BENCH_ROUNDS (boots of each, in turns; the
// fastest to the prompt counts), BOOT_TIMEOUT_S.

import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Guest, PROMPT, BOOT_TIMEOUT_MS } from '../tests/guest.mjs';
import {
  ARCHES, command, configsFromEnv, guestEnv, guestFiles, listFromEnv, stop,
  usableConfigs,
} from './run.mjs';

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS || 1));

// Each phase ends at the first line that matches, in this order.  Marks
// a guest does not print (v86 loads the kernel itself: no option ROM)
// leave their phase out, counted in the next.
const MARKS = [
  ['firmware', 'start to SeaBIOS banner', /SeaBIOS \(version/],
  ['loader', 'SeaBIOS to its boot of the ROM', /Booting from ROM/],
  ['kernel', 'to the kernel\'s first message', /Linux version \d/],
  ['init', 'kernel to running /init', /Run \/init as init process/],
  ['prompt', '/init to the shell prompt', PROMPT],
];

function log(msg) {
  process.stderr.write(`boot-phases: ${msg}\n`);
}

// The processes under @pid (the launcher's shell, toolchain.sh's chroot
// and QEMU itself may each be one), with @pid, each with its threads,
// from the children that Linux lists for each of their threads.
function processTree(pid) {
  const tree = [{ pid, tids: [] }];
  for (const p of tree) {
    try {
      p.tids = fs.readdirSync(`/proc/${p.pid}/task`);
    } catch {
      continue; // gone meanwhile, as below
    }
    for (const tid of p.tids) {
      try {
        const kids = fs.readFileSync(`/proc/${p.pid}/task/${tid}/children`, 'utf8');
        tree.push(...kids.split(' ').filter(Boolean)
          .map((k) => ({ pid: Number(k), tids: [] })));
      } catch {
        // Gone meanwhile.
      }
    }
  }
  return tree;
}

// Each thread's time on a core and waiting for one, in ns, so far.
function threadTimes(pid) {
  const threads = [];
  for (const p of processTree(pid)) {
    for (const tid of p.tids) {
      try {
        const [run, wait] = fs.readFileSync(`/proc/${p.pid}/task/${tid}/schedstat`,
          'utf8').split(' ').map(Number);
        threads.push({ tid: Number(tid), run, wait });
      } catch {
        // Gone meanwhile.
      }
    }
  }
  return threads;
}

// One boot: the time of each mark that showed, and the threads' times
// at the prompt.
async function boot(config, arch) {
  const files = guestFiles(arch);
  files.cmdline = `${files.cmdline} loglevel=7`;
  const [bin, args] = command(config, files, files.initramfs);
  const t0 = performance.now();
  const vm = new Guest(bin, args, guestEnv(config));
  const at = {};
  const watch = () => {
    for (const [name, , re] of MARKS) {
      if (at[name] === undefined && re.test(vm.output)) {
        at[name] = (performance.now() - t0) / 1000;
      }
    }
  };
  vm.proc.stdout.on('data', watch);
  // The threads' times are read while QEMU runs; a thread that ends
  // before the prompt keeps its last reading.
  const seen = new Map();
  const sample = () => {
    for (const t of threadTimes(vm.proc.pid)) seen.set(t.tid, t);
  };
  const timer = setInterval(sample, 100);
  try {
    await vm.waitFor(PROMPT, BOOT_TIMEOUT_MS);
    sample();
  } finally {
    clearInterval(timer);
    await stop(vm, config);
  }
  watch();
  const threads = [...seen.values()].sort((a, b) => b.run - a.run);
  return { at, threads, seconds: at.prompt };
}

const fmt = (s) => (s === undefined ? '-' : s.toFixed(2));

// The phases of one boot, each from the last mark before it that showed.
function phases(at) {
  const out = {};
  let last = 0;
  for (const [name] of MARKS) {
    if (at[name] === undefined) continue;
    out[name] = at[name] - last;
    last = at[name];
  }
  return out;
}

function threadLine(r) {
  const sec = (ns) => (ns / 1e9).toFixed(2);
  const [top, ...rest] = r.threads;
  if (!top) return 'threads: not read';
  const all = r.threads.reduce((s, t) => s + t.run, 0);
  const others = rest.reduce((s, t) => s + t.run, 0);
  return `busiest thread ${sec(top.run)} s on a core, ${sec(top.wait)} s ` +
    `waiting for one; others ${sec(others)} s; all ${sec(all)} s of CPU ` +
    `in ${r.seconds.toFixed(2)} s (${(all / 1e9 / r.seconds).toFixed(2)} cores)`;
}

function report(arch, results) {
  const names = Object.keys(results);
  const base = results.native;
  const lines = [`${arch} guest (fastest of ${ROUNDS} boot${ROUNDS > 1 ? 's' : ''} ` +
    'each; seconds, and times native QEMU\'s)', ''];
  const width = 16;
  lines.push('phase'.padEnd(34) + names.map((n) => n.padStart(width)).join(''));
  const cell = (v, b) => {
    if (v === undefined) return '-'.padStart(width);
    const ratio = b ? ` (${(v / b).toFixed(1)}x)` : '';
    return `${fmt(v)}${ratio}`.padStart(width);
  };
  const ph = Object.fromEntries(names.map((n) => [n, phases(results[n].at)]));
  for (const [name, what] of MARKS) {
    lines.push(what.padEnd(34) + names.map((n) =>
      cell(ph[n][name], base && ph.native[name])).join(''));
  }
  lines.push('total'.padEnd(34) + names.map((n) =>
    cell(results[n].seconds, base && base.seconds)).join(''));
  lines.push('');
  for (const n of names) {
    if (results[n].threads.length) lines.push(`${n}: ${threadLine(results[n])}`);
  }
  return lines.join('\n') + '\n';
}

async function main() {
  const arches = listFromEnv('BENCH_ARCH', ARCHES);
  const configs = configsFromEnv(['default', 'native', 'v86']);
  let text = '';
  for (const arch of arches) {
    const usable = usableConfigs(configs, arch, log);
    if (!usable) continue;
    const best = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const config of usable) {
        const r = await boot(config, arch);
        log(`${arch} ${config.name}: prompt after ${fmt(r.seconds)} s`);
        if (!best[config.name] || r.seconds < best[config.name].seconds) {
          best[config.name] = r;
        }
      }
    }
    text += report(arch, best) + '\n';
  }
  process.stdout.write(text);
}

main().catch((e) => {
  log(`error: ${e.message}`);
  process.exit(1);
});
