// The demo guests boot and run the benchmark's workloads in headless
// Chromium, on this build's page and on v86's (npm `v86`, i386 guest
// only), to show whether what bench/run.mjs measures under Node.js holds
// in a browser, where both use the browser's own V8 settings.  Each
// session is a fresh browser context (nothing cached), timed from the
// host like bench/run.mjs: boot from loading the page to the shell's
// prompt, downloads and compiling included; each workload from typing
// the command to the prompt coming back.  A report, not a test:
//
//   node bench/browser.mjs
//
// Needs `make site` (the page, the guests), bench/setup.sh (the i386
// guest, v86; `make bench` runs it) and Chromium (`make check` installs
// it; CHROMIUM names another binary).  Environment, as for
// bench/run.mjs: BENCH_QUICK=1, BENCH (workloads; boot is always timed),
// BENCH_ARCH, BENCH_CONFIGS (default, v86), BENCH_ROUNDS (sessions of
// each, in turns; the fastest time of each workload counts),
// BENCH_TIMEOUT_S, BOOT_TIMEOUT_S.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  PROMPT, OUT, GUEST, BOOT_TIMEOUT_MS, SerialConsole,
} from '../tests/guest.mjs';
import { CHROMIUM, launchChromium } from '../tests/chromium.mjs';
import { startServer } from '../web/serve.mjs';
import {
  ARCHES, buildCbench, configsFromEnv, guestFiles, listFromEnv, makeInitrd,
  rotated, runsOn, timed, unavailable,
} from './run.mjs';
import { geomean } from './report.mjs';
import { workloads, setupCommand } from './workloads.mjs';

const SIZE = process.env.BENCH_QUICK === '1' ? 'quick' : 'full';
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS || 1));
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S || 1800) * 1000;
const SITE = path.join(OUT, 'site');

const CONFIGS = [
  { name: 'default', label: 'wasm32 default' },
  { name: 'v86', label: 'v86', arches: ['i386'] },
];

function log(msg) {
  process.stderr.write(`browser-bench: ${msg}\n`);
}

// The page of one session: it starts the emulator that window.benchConfig
// names and passes the serial console's output to the host in chunks
// (v86 gives it a byte at a time) through the functions the host exposes.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>browser benchmark</title>
<script type="module">
const cfg = window.benchConfig;
let pending = '';
const out = (s) => {
  if (!pending) setTimeout(() => { const p = pending; pending = ''; window.benchOutput(p); });
  pending += s;
};
const latin1 = (bytes) => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  }
  return s;
};
try {
  if (cfg.v86) {
    const { V86 } = await import('/v86/libv86.mjs');
    const emulator = new V86({ ...cfg.v86, autostart: true });
    emulator.add_listener('serial0-output-byte', (b) => out(String.fromCharCode(b)));
    const enc = new TextEncoder();
    window.benchSend = (s) => emulator.serial_send_bytes(0, enc.encode(s));
  } else {
    const { startVm } = await import('/qemu-vm.mjs');
    const vm = startVm(cfg.qemu, {
      onOutput: (b, fd) => (fd === 1 ? out(latin1(b)) : window.benchLog(latin1(b))),
    });
    window.benchSend = (s) => vm.write(s);
    vm.exited.then((status) => window.benchExit('QEMU exited with status ' + status),
      (e) => window.benchExit(e.message));
  }
} catch (e) {
  window.benchExit(e.message);
}
</script>
`;

// A folder the server serves: the site, the page, v86's files, and the
// guests' initrds with the benchmark's programs, all as symbolic links.
function makeRoot(arches, withV86) {
  const root = fs.mkdtempSync(path.join(OUT, 'tmp', 'browser-bench-'));
  process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));
  for (const e of fs.readdirSync(SITE)) {
    fs.symlinkSync(path.join(SITE, e), path.join(root, e));
  }
  fs.writeFileSync(path.join(root, 'bench.html'), PAGE);
  if (withV86) {
    const v86 = path.dirname(createRequire(import.meta.url).resolve('v86'));
    fs.mkdirSync(path.join(root, 'v86'));
    for (const f of ['libv86.mjs', 'v86.wasm']) {
      fs.symlinkSync(path.join(v86, f), path.join(root, 'v86', f));
    }
    for (const f of ['bios.bin', 'vgabios-stdvga.bin']) {
      fs.symlinkSync(path.join(GUEST, 'firmware', f), path.join(root, 'v86', f));
    }
  }
  fs.mkdirSync(path.join(root, 'bench'));
  for (const arch of arches) {
    fs.symlinkSync(makeInitrd(arch, guestFiles(arch)),
      path.join(root, 'bench', `initrd-${arch}.cpio.gz`));
  }
  return root;
}

// What the page starts: the site's guest config with the benchmark's
// initrd, or v86 with the files that bench/run.mjs gives it.
function pageConfig(config, arch) {
  const guest = JSON.parse(fs.readFileSync(path.join(SITE, 'guests', `${arch}.json`), 'utf8'));
  const cmdline = guestFiles(arch).cmdline;
  const initrd = `/bench/initrd-${arch}.cpio.gz`;
  if (config.name === 'v86') {
    return {
      v86: {
        wasm_path: '/v86/v86.wasm',
        memory_size: 256 << 20,
        bios: { url: '/v86/bios.bin' },
        vga_bios: { url: '/v86/vgabios-stdvga.bin' },
        bzimage: { url: `/guests/${arch}/bzImage` },
        initrd: { url: initrd },
        cmdline,
      },
    };
  }
  return {
    qemu: {
      target: guest.target,
      memory: '256M',
      kernel: `/guests/${guest.kernel}`,
      initrd,
      append: cmdline,
    },
  };
}

// The console of an emulator in a page, as tests/guest.mjs's Guest has
// it for a process.
class PageGuest extends SerialConsole {
  constructor(page) {
    super();
    this.page = page;
  }

  exitMessage(re) {
    return `${this.exited} before ${re}`;
  }

  send(text) {
    this.page.evaluate((s) => window.benchSend(s), text).catch(() => {});
  }
}

// One session: load the page, boot, set up, run the workloads.
async function session(browser, url, config, arch, list, record) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const vm = new PageGuest(page);
  await page.exposeFunction('benchOutput', (s) => {
    vm.output += s;
    vm.wake();
  });
  // QEMU's own messages (its stderr, which comes in pieces), a line at
  // a time.
  let partial = '';
  await page.exposeFunction('benchLog', (s) => {
    const lines = (partial + s).split(/\r?\n/);
    partial = lines.pop();
    for (const l of lines.filter(Boolean)) log(`${arch} ${config.name}: ${l}`);
  });
  await page.exposeFunction('benchExit', (why) => {
    vm.exited = why;
    vm.wake();
  });
  page.on('pageerror', (e) => log(`${arch} ${config.name}: page error: ${e.message}`));
  page.on('crash', () => {
    vm.exited = 'the page crashed';
    vm.wake();
  });
  await page.addInitScript((c) => { window.benchConfig = c; }, pageConfig(config, arch));
  try {
    const t0 = performance.now();
    await page.goto(`${url}bench.html`);
    await vm.waitFor(PROMPT, BOOT_TIMEOUT_MS);
    record('boot', (performance.now() - t0) / 1000, '');
    if (list.length) await timed(vm, setupCommand(SIZE), TIMEOUT_MS);
    for (const w of list) {
      const r = await timed(vm, w.cmd, TIMEOUT_MS);
      record(w.name, r.seconds, r.output);
    }
  } finally {
    await context.close();
  }
}

// A table a guest: each row's times, with v86's ratio beside this build's.
function report(arches, configs, names, cpu, best, outputs) {
  const width = 18;
  const cell = (v, v86) => (v === undefined ? '-'
    : `${v.toFixed(2)}s${v86 ? ` ${(v / v86).toFixed(2)}v` : ''}`).padStart(width);
  const lines = [`Headless Chromium (${CHROMIUM}), ${SIZE} sizes, fastest of ` +
    `${ROUNDS} session${ROUNDS > 1 ? 's' : ''} of each; seconds, and times v86's`];
  for (const arch of arches) {
    const cols = configs.filter((c) => runsOn(c, arch));
    const time = (c, n) => best[`${arch} ${c.name} ${n}`];
    const row = (name, value) => name.padEnd(16) + cols.map((c) =>
      cell(value(c), c.name === 'v86' ? undefined : value({ name: 'v86' }))).join('');
    lines.push('', `-- ${arch} guest`.padEnd(16) +
      cols.map((c) => c.label.padStart(width)).join(''));
    for (const n of names) {
      const seen = new Set(cols.map((c) => outputs[`${arch} ${c.name} ${n}`])
        .filter((o) => o !== undefined));
      lines.push(row(n, (c) => time(c, n)) +
        (seen.size > 1 ? '  ! outputs differ' : ''));
    }
    if (cpu.length) {
      lines.push(row('geomean CPU', (c) => {
        const times = cpu.map((n) => time(c, n));
        return times.includes(undefined) ? undefined : geomean(times);
      }));
    }
  }
  return lines.join('\n') + '\n';
}

async function main() {
  if (!fs.existsSync(path.join(SITE, 'index.html'))) {
    throw new Error(`no site in ${SITE}: run 'make site'`);
  }
  const arches = listFromEnv('BENCH_ARCH', ARCHES);
  const configs = configsFromEnv(undefined, CONFIGS);
  const all = workloads(SIZE);
  const names = listFromEnv('BENCH', ['boot', ...all.map((w) => w.name)]);
  const list = all.filter((w) => names.includes(w.name));
  for (const arch of arches) {
    try {
      guestFiles(arch);
    } catch {
      throw new Error(`the ${arch} guest is not built (bench/setup.sh builds it)`);
    }
  }
  const withV86 = arches.includes('i386') && configs.some((c) => c.name === 'v86');
  const why = withV86 && unavailable({ v86: true });
  if (why) throw new Error(why);
  buildCbench();
  fs.mkdirSync(path.join(OUT, 'tmp'), { recursive: true });
  const root = makeRoot(arches, withV86);
  const browser = await launchChromium();
  const server = await startServer({ root, port: 0 });
  const best = {};
  const outputs = {};
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const arch of arches) {
        const cols = configs.filter((c) => runsOn(c, arch));
        for (const config of rotated(cols, round)) {
          const tag = `${arch} ${config.name} #${round + 1}`;
          try {
            await session(browser, server.url, config, arch, list, (n, s, o) => {
              log(`${tag}: ${n} ${s.toFixed(2)} s ${o.replace(/\n/g, ' | ').slice(0, 80)}`);
              const k = `${arch} ${config.name} ${n}`;
              if (best[k] === undefined || s < best[k]) best[k] = s;
              outputs[k] = o;
            });
          } catch (e) {
            // The other sessions go on; the table shows what this one lacks.
            log(`${tag}: failed: ${e.message.slice(0, 500)}`);
            process.exitCode = 1;
          }
        }
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  process.stdout.write(report(arches, configs, ['boot', ...list.map((w) => w.name)],
    list.filter((w) => w.cpu).map((w) => w.name), best, outputs));
}

main().catch((e) => {
  log(`error: ${e.message}`);
  process.exit(1);
});
