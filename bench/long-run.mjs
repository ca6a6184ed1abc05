// Whether the wasm32 build's costs stay bounded over a long session: one
// boot, then the benchmark's workloads at their quick sizes, round after
// round, for LONG_RUN_MIN minutes (default 10).  After each round it
// prints the round's time and what the process holds: resident memory,
// memory mappings (V8 maps each module's machine code apart, and Linux
// allows a process 65530 of them) and CPU time so far; at the end, the
// backend's counts over the session (wasm-stats=on).  If compiled code
// leaked, the memory and the mappings would grow from round to round
// while the rounds repeat the same work.  A report, not a test:
//
//   node bench/long-run.mjs
//
// LONG_RUN_ACCEL adds properties to -accel tcg: with a small code buffer
// (LONG_RUN_ACCEL=tb-size=2, in MiB) QEMU flushes its translations over
// and over, and the backend drops every compiled block each time, which
// shows whether what it drops is freed.  Environment besides:
// LONG_RUN_MIN, BENCH_ARCH (one guest, x86_64 or i386), BOOT_TIMEOUT_S
// and BENCH_TIMEOUT_S as for bench/run.mjs.

import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Guest, PROMPT, BOOT_TIMEOUT_MS, WASM_QEMU } from '../tests/guest.mjs';
import {
  ARCHES, backendCounts, buildCbench, command, guestFiles, listFromEnv,
  makeInitrd, stop,
} from './run.mjs';
import { setupCommand, workloads } from './workloads.mjs';

const MINUTES = Number(process.env.LONG_RUN_MIN || 10);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S || 1800) * 1000;
const ACCEL = ['tcg', 'wasm-stats=on', process.env.LONG_RUN_ACCEL]
  .filter(Boolean).join(',');
const CONFIG = { name: 'default', binary: WASM_QEMU,
  accel: ['-accel', ACCEL] };

function log(msg) {
  process.stderr.write(`long-run: ${msg}\n`);
}

// What the process @pid holds now: resident memory (KiB), memory
// mappings and CPU time (s).  bin/qemu-system-x86_64 execs Node.js, so
// the guest's process is QEMU's.
function holdings(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(status.match(/^VmRSS:\s+(\d+) kB/m)[1]);
  const maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')
    .filter(Boolean).length;
  // utime and stime, in clock ticks (100 a second), after the name.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / 100;
  return { rss, maps, cpu };
}

const row = (cells) => cells.map((c, i) => String(c)
  .padStart(i ? 10 : 5)).join('');

async function main() {
  // One guest: the first that BENCH_ARCH names, x86_64 by default.
  const [arch] = listFromEnv('BENCH_ARCH', ARCHES);
  const files = guestFiles(arch);
  buildCbench();
  const initrd = makeInitrd(arch, files);
  const [bin, args] = command(CONFIG, files, initrd);
  const list = workloads('quick');
  const t0 = performance.now();
  const vm = new Guest(bin, args);
  try {
    await vm.waitFor(PROMPT, BOOT_TIMEOUT_MS);
    await vm.run(setupCommand('quick'), TIMEOUT_MS);
    log(`${arch}: booted and set up after ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s; rounds of ` +
      `${list.map((w) => w.name).join(', ')} for ${MINUTES} min`);
    process.stdout.write(`${arch} guest, -accel ${ACCEL}, ${MINUTES} min ` +
      'of rounds of the quick workloads\n\n' +
      row(['round', 'minute', 'seconds', 'RSS MiB', 'mappings', 'CPU s']) +
      '\n');
    const first = new Map();
    const end = performance.now() + MINUTES * 60000;
    for (let round = 1; performance.now() < end; round++) {
      const r0 = performance.now();
      for (const w of list) {
        const out = await vm.run(w.cmd, TIMEOUT_MS);
        if (!first.has(w.name)) first.set(w.name, out);
        if (out !== first.get(w.name)) {
          throw new Error(`round ${round}: ${w.name} printed '${out}', ` +
            `not '${first.get(w.name)}' as in round 1`);
        }
      }
      const h = holdings(vm.proc.pid);
      process.stdout.write(row([round,
        ((performance.now() - t0) / 60000).toFixed(1),
        ((performance.now() - r0) / 1000).toFixed(2),
        (h.rss / 1024).toFixed(0), h.maps, h.cpu.toFixed(0)]) + '\n');
    }
  } finally {
    await stop(vm, CONFIG);
  }
  const counts = backendCounts(vm.stderr);
  if (counts) {
    process.stdout.write(`\nover the session: ${counts.compiled} blocks ` +
      `compiled (${counts.joined} more in their regions) in ` +
      `${counts.modules} modules, ${(counts.kib / 1024).toFixed(1)} MiB of ` +
      `wasm, ${counts.evicted} evicted, ${counts.dropped} dropped ` +
      `(${counts.flushed} by ${counts.flushes} tb_flush()es), ` +
      `${(counts.compileMs / 1000).toFixed(1)} s compiling\n`);
  }
}

main().catch((e) => {
  log(`error: ${e.message}`);
  process.exit(1);
});
