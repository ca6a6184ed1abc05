// Where the guest kernel's own start spends its time on each emulator:
// the kernel runs its initcalls (ACPI, drivers, file systems, the
// network stack, unpacking the initramfs...) one after the other and,
// with initcall_debug, logs how long each took by its own clock.  This
// boots each configuration with that option, reads the log back at the
// prompt and compares the initcalls' times with native QEMU's: the sum,
// and the initcalls that lose the most.  A report, not a test; a minute
// or two:
//
//   node bench/initcalls.mjs
//
// Each initcall counts with its fastest time over the boots, as single
// boots show stalls of a tenth of a second in a different initcall each
// time, natively too.  The kernel unpacks the initramfs in its own
// initcall (initramfs_async=0): unpacked in the background, it was
// counted in whichever initcalls it shared the one CPU with.  The
// console stays quiet (the benchmark's loglevel), so the log costs no
// console output until it is read.
// Environment, as for bench/run.mjs: BENCH_ARCH (x86_64, i386),
// BENCH_CONFIGS (of default, wasm-off, threshold1, native, v86; default
// default,native), BENCH_ROUNDS (boots of each, in turns; default 2),
// BOOT_TIMEOUT_S.

import { Guest, PROMPT, BOOT_TIMEOUT_MS } from '../tests/guest.mjs';
import {
  ARCHES, command, configsFromEnv, guestEnv, guestFiles, listFromEnv, stop,
  usableConfigs,
} from './run.mjs';

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS || 2));
const TOP = 12;

function log(msg) {
  process.stderr.write(`initcalls: ${msg}\n`);
}

// "initcall acpi_init+0x0/0x4bd returned 0 after 200000 usecs": the
// time of each initcall in the log, in microseconds, by function name.
function parseInitcalls(text) {
  const times = new Map();
  const re = new RegExp('initcall (\\S+?)(?:\\+0x[0-9a-f]+/0x[0-9a-f]+)?' +
    '(?: \\[\\S+\\])? returned -?\\d+ after (\\d+) usecs', 'g');
  for (const [, name, us] of text.matchAll(re)) {
    times.set(name, (times.get(name) || 0) + Number(us));
  }
  return times;
}

// One boot to the prompt; the initcalls' times from the kernel's log.
async function boot(config, arch) {
  const files = guestFiles(arch);
  files.cmdline = `${files.cmdline} initcall_debug initramfs_async=0 ` +
    'log_buf_len=4M';
  const [bin, args] = command(config, files, files.initramfs);
  const vm = new Guest(bin, args, guestEnv(config));
  try {
    await vm.waitFor(PROMPT, BOOT_TIMEOUT_MS);
    const text = await vm.run('dmesg | grep "initcall .* returned"', 120000);
    return parseInitcalls(text);
  } finally {
    await stop(vm, config);
  }
}

// Each initcall's fastest time over @runs.
function fastest(runs) {
  const best = new Map();
  for (const times of runs) {
    for (const [name, us] of times) {
      if (!best.has(name) || us < best.get(name)) best.set(name, us);
    }
  }
  return best;
}

const sum = (times) => [...times.values()].reduce((s, us) => s + us, 0);
const ms = (us) => (us / 1000).toFixed(1);

function report(arch, results) {
  const names = Object.keys(results);
  const base = results.native;
  const lines = [`${arch} guest: the kernel's initcalls, each the fastest ` +
    `of ${ROUNDS} boot${ROUNDS > 1 ? 's' : ''} (ms, and times native ` +
    'QEMU\'s)', ''];
  for (const n of names) {
    const total = sum(results[n]);
    const ratio = base && n !== 'native'
      ? ` (${(total / sum(base)).toFixed(2)}x)` : '';
    lines.push(`${n.padEnd(12)} ${String(results[n].size).padStart(4)} ` +
      `initcalls, ${ms(total)} ms in all${ratio}`);
  }
  if (!base) return lines.join('\n') + '\n';
  for (const n of names.filter((x) => x !== 'native')) {
    const excess = [...results[n]].map(([name, us]) =>
      ({ name, us, native: base.get(name) ?? 0 }))
      .map((r) => ({ ...r, more: r.us - r.native }))
      .sort((a, b) => b.more - a.more);
    const all = excess.reduce((s, r) => s + r.more, 0);
    const top = excess.slice(0, TOP);
    const share = top.reduce((s, r) => s + r.more, 0) / all;
    lines.push('', `${n}: the ${TOP} initcalls that took the most ` +
      `longer than natively (${(share * 100).toFixed(0)}% of the ` +
      `${ms(all)} ms more in all)`,
      `  ${'initcall'.padEnd(36)} ${n.padStart(8)} ${'native'.padStart(8)}`);
    for (const r of top) {
      const x = r.native ? `${(r.us / r.native).toFixed(1)}x` : '-';
      lines.push(`  ${r.name.padEnd(36)} ${ms(r.us).padStart(8)} ` +
        `${ms(r.native).padStart(8)} ${x.padStart(7)}`);
    }
  }
  return lines.join('\n') + '\n';
}

async function main() {
  const arches = listFromEnv('BENCH_ARCH', ARCHES);
  const configs = configsFromEnv(['default', 'native']);
  let text = '';
  for (const arch of arches) {
    const usable = usableConfigs(configs, arch, log);
    if (!usable) continue;
    const runs = Object.fromEntries(usable.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const config of usable) {
        const times = await boot(config, arch);
        if (!times.size) {
          throw new Error(`${arch} ${config.name}: no initcall times in ` +
            'the kernel\'s log');
        }
        log(`${arch} ${config.name}: ${times.size} initcalls, ` +
          `${ms(sum(times))} ms`);
        runs[config.name].push(times);
      }
    }
    const results = Object.fromEntries(Object.entries(runs)
      .map(([n, r]) => [n, fastest(r)]));
    text += report(arch, results) + '\n';
  }
  process.stdout.write(text);
}

main().catch((e) => {
  log(`error: ${e.message}`);
  process.exit(1);
});
