// The browser page in headless Chromium: the embedding API with I/O
// callbacks, the clear error of a page that is not cross-origin isolated,
// and the demo guest booted in the page's terminal, typed at and read
// back.  Screenshots and measurements go to build/browser/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { OUT, BOOT_TIMEOUT_MS } from './guest.mjs';
import { launchChromium } from './chromium.mjs';
import { startServer } from '../web/serve.mjs';

const SITE = path.join(OUT, 'site');
const SHOTS = path.join(OUT, 'browser');
const PROMPT = /root@guest:[^\n]*# *$/;

let browser;
let isolated;
let plain;

// A 64 KiB PC BIOS that says "ready", then echoes each byte from the
// first serial port back in upper case, and on "q" leaves QEMU through
// isa-debug-exit at 0xf4 (status 1 << 1 | 1 = 3).  Real-mode code built
// here so the test needs no assembler and no Linux boot.
function echoBios() {
  const code = [];
  const labels = {};
  const fixups = [];
  const emit = (...bytes) => code.push(...bytes);
  const label = (name) => { labels[name] = code.length; };
  const jump = (op, name) => { emit(op, 0); fixups.push([code.length - 1, name]); };
  emit(0xba, 0xf8, 0x03);                         // mov dx, 0x3f8
  for (const c of 'ready\r\n') emit(0xb0, c.charCodeAt(0), 0xee);  // mov al, c; out dx, al
  label('loop');
  emit(0xba, 0xfd, 0x03);                         // mov dx, 0x3fd (LSR)
  label('wait');
  emit(0xec, 0xa8, 0x01); jump(0x74, 'wait');     // in al, dx; test al, 1; jz wait
  emit(0xba, 0xf8, 0x03, 0xec);                   // mov dx, 0x3f8; in al, dx
  emit(0x3c, 0x71); jump(0x74, 'quit');           // cmp al, 'q'; je quit
  emit(0x3c, 0x61); jump(0x72, 'out');            // cmp al, 'a'; jb out
  emit(0x3c, 0x7a); jump(0x77, 'out');            // cmp al, 'z'; ja out
  emit(0x2c, 0x20);                               // sub al, 0x20
  label('out');
  emit(0xee); jump(0xeb, 'loop');                 // out dx, al; jmp loop
  label('quit');
  emit(0xb0, 0x01, 0xe6, 0xf4);                   // mov al, 1; out 0xf4, al
  label('halt');
  emit(0xf4); jump(0xeb, 'halt');                 // hlt; jmp halt
  for (const [at, name] of fixups) code[at] = (labels[name] - (at + 1)) & 0xff;
  const rom = new Uint8Array(65536);
  rom.set(code, 0);
  rom.set([0xea, 0x00, 0x00, 0x00, 0xf0], 0xfff0);  // reset: jmp f000:0000
  return rom;
}

before(async () => {
  assert.ok(fs.existsSync(path.join(SITE, 'index.html')),
    `no site in ${SITE}: run 'make site'`);
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  isolated = await startServer({ root: SITE, port: 0 });
  plain = await startServer({ root: SITE, port: 0, isolation: false });
});

after(async () => {
  await browser?.close();
  await isolated?.close();
  await plain?.close();
});

async function newPage(t) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const log = [];
  page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  t.after(async () => {
    if (log.length) t.diagnostic(`browser console:\n${log.slice(-30).join('\n')}`);
    await page.close();
  });
  return page;
}

// The terminal's text, scrollback included, one string per line.
function terminalLines(page) {
  return page.evaluate(() => {
    const buf = window.qemuVm?.terminal?.buffer.active;
    if (!buf) return [];
    const lines = [];
    for (let i = 0; i < buf.length; i++) {
      lines.push(buf.getLine(i).translateToString(true));
    }
    while (lines.length && lines[lines.length - 1] === '') lines.pop();
    return lines;
  });
}

// Poll the terminal until check(lines) is truthy; returns its value.
async function waitTerminal(page, what, check, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const lines = await terminalLines(page);
    const got = check(lines);
    if (got) return got;
    const error = await page.$eval('#error', (e) => (e.hidden ? '' : e.innerText));
    if (error) {
      throw new Error(`page shows an error while waiting for ${what}: ${error}\n` +
        `terminal:\n${lines.slice(-20).join('\n')}`);
    }
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}; terminal:\n` +
        lines.slice(-20).join('\n'));
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

// Type a command (real key presses into xterm.js) and wait for the next
// prompt; returns the lines between the command and that prompt.
async function runCommand(page, cmd, timeoutMs = 120000) {
  const before = (await terminalLines(page)).length;
  await page.keyboard.type(cmd);
  await page.keyboard.press('Enter');
  return waitTerminal(page, `the output of '${cmd}'`, (lines) => {
    const start = lines.findIndex((l, i) => i >= before - 1 && l.endsWith(cmd));
    if (start < 0 || !PROMPT.test(lines[lines.length - 1]) ||
        lines.length - 1 <= start) return null;
    return lines.slice(start + 1, -1);
  }, timeoutMs);
}

test('the embedding API runs a VM with I/O callbacks', async (t) => {
  const page = await newPage(t);
  await page.goto(`${isolated.url}embed.html`);
  const result = await page.evaluate(async (bios) => {
    const { startVm } = await import(new URL('qemu-vm.mjs', location.href).href);
    let text = '';
    const states = [];
    const decoder = new TextDecoder();
    const seen = (s) => new Promise((resolve, reject) => {
      const t0 = Date.now();
      const poll = () => {
        if (text.includes(s)) resolve();
        else if (Date.now() - t0 > 300000) reject(new Error(`no '${s}' in '${text}'`));
        else setTimeout(poll, 50);
      };
      poll();
    });
    const vm = startVm({
      memory: 32,
      bios: new Uint8Array(bios),
      // Unused by the BIOS, but QEMU opens it: a bad -drive would stop it.
      drives: [{ file: new Blob([new Uint8Array(1 << 20)]), readonly: true }],
      args: ['-device', 'isa-debug-exit,iobase=0xf4,iosize=4'],
    }, {
      onOutput: (bytes) => { text += decoder.decode(bytes, { stream: true }); },
      onStatus: (s) => states.push(s),
    });
    await vm.started;
    await seen('ready');
    vm.write('hello, 42');
    await seen('HELLO, 42');
    vm.write(new Uint8Array([0x71]));  // q
    const status = await vm.exited;
    return { text, status, states };
  }, [...echoBios()]);
  assert.match(result.text, /ready\r\nHELLO, 42/);
  assert.equal(result.status, 3, 'isa-debug-exit status');
  assert.deepEqual(result.states, ['loading', 'booting', 'running', 'exited']);
});

test('QEMU errors and missing files come back through the API', async (t) => {
  const page = await newPage(t);
  await page.goto(`${isolated.url}embed.html`);
  const result = await page.evaluate(async () => {
    const { startVm } = await import(new URL('qemu-vm.mjs', location.href).href);
    let text = '';
    const decoder = new TextDecoder();
    const bad = startVm({ memory: 32, args: ['-no-such-option'] }, {
      onOutput: (bytes) => { text += decoder.decode(bytes, { stream: true }); },
    });
    const status = await bad.exited;
    const missing = startVm({ kernel: 'no/such/vmlinux' }, {});
    const error = await missing.exited.then(() => null, (e) => ({ code: e.code, message: e.message }));
    return { text, status, error };
  });
  assert.equal(result.status, 1);
  assert.match(result.text, /-no-such-option: invalid option/);
  assert.equal(result.error?.code, 'load');
  assert.match(result.error.message, /no\/such\/vmlinux: HTTP 404/);

  await page.goto(`${isolated.url}?guest=nosuch`);
  await page.waitForSelector('#error:not([hidden])', { timeout: 30000 });
  assert.match(await page.$eval('#error', (e) => e.innerText),
    /guests\/nosuch\.json: HTTP 404/);
});

test('a page that is not cross-origin isolated says so', async (t) => {
  const page = await newPage(t);
  await page.goto(plain.url);
  await page.waitForSelector('#error:not([hidden])', { timeout: 30000 });
  const text = await page.$eval('#error', (e) => e.innerText);
  assert.match(text, /not cross-origin isolated/i);
  assert.match(text, /Cross-Origin-Embedder-Policy/);
  assert.equal(await page.evaluate(() => window.crossOriginIsolated), false);
  await page.screenshot({ path: path.join(SHOTS, 'not-isolated.png') });
});

test('the page boots the guest in its terminal', async (t) => {
  const page = await newPage(t);
  const t0 = Date.now();
  await page.goto(isolated.url);
  await page.waitForFunction(() => window.qemuVm?.terminal, null, { timeout: 60000 });

  await waitTerminal(page, 'the shell prompt',
    (lines) => lines.length && PROMPT.test(lines[lines.length - 1]),
    BOOT_TIMEOUT_MS);
  const promptMs = Date.now() - t0;
  // Each file once: the workers load QEMU's .js again (from the cache).
  const sizes = await page.evaluate(() => {
    const files = new Map();
    for (const e of performance.getEntriesByType('resource')) {
      if (!files.has(e.name)) files.set(e.name, e);
    }
    let wire = 0;
    let raw = 0;
    for (const e of files.values()) {
      wire += e.encodedBodySize;
      raw += e.decodedBodySize;
    }
    const main = performance.getEntriesByName('qemu-main')[0];
    return { wire, raw, mainMs: main ? main.startTime : null };
  });

  await page.click('#terminal');
  assert.deepEqual(await runCommand(page, 'uname -m'), ['x86_64']);

  // A smaller window: the terminal refits and stays usable.
  const colsBefore = await page.evaluate(() => window.qemuVm.terminal.cols);
  await page.setViewportSize({ width: 800, height: 600 });
  await page.waitForFunction((c) => window.qemuVm.terminal.cols < c, colsBefore);

  const n = 100 + Math.floor(Math.random() * 900);
  assert.deepEqual(await runCommand(page, `echo $((6*7+${n}))`), [String(42 + n)]);

  // Ctrl-C reaches the guest as a byte and interrupts the foreground job.
  // Not before the job owns the terminal: a Ctrl-C while ash is still
  // starting it goes to ash, and the job runs on.  It prints "started"
  // once it is in the foreground, then becomes the sleep.
  await page.keyboard.type('sh -c \'echo started; exec sleep 1000\'');
  await page.keyboard.press('Enter');
  await waitTerminal(page, 'sleep to start',
    (lines) => lines[lines.length - 1] === 'started', 60000);
  // The guest's line discipline signals the job before it echoes "^C",
  // so the shell's newline after the killed job may come first and the
  // echo on the prompt's line: "^C" on either of the last two lines.
  await page.keyboard.press('Control+C');
  await waitTerminal(page, 'the prompt after Ctrl-C', (lines) =>
    lines.length >= 2 && PROMPT.test(lines[lines.length - 1]) &&
    lines.slice(-2).some((l) => l.includes('^C')), 60000);

  await page.screenshot({ path: path.join(SHOTS, 'screenshot.png') });

  await page.keyboard.type('poweroff -f');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#error:not([hidden])', { timeout: 120000 });
  assert.match(await page.$eval('#error', (e) => e.innerText), /status 0/);

  const seconds = (ms) => Math.round(ms / 100) / 10;
  const measured = {
    pageLoadToPromptSeconds: seconds(promptMs),
    pageLoadToQemuMainSeconds: seconds(sizes.mainMs),
    downloadBytesOnTheWire: sizes.wire,
    downloadBytesUncompressed: sizes.raw,
  };
  fs.writeFileSync(path.join(SHOTS, 'measurements.json'),
    JSON.stringify(measured, null, 2) + '\n');
  t.diagnostic(`page load to prompt ${measured.pageLoadToPromptSeconds} s ` +
    `(QEMU's main() at ${measured.pageLoadToQemuMainSeconds} s); ` +
    `download ${(sizes.raw / 1e6).toFixed(1)} MB, ` +
    `${(sizes.wire / 1e6).toFixed(1)} MB compressed`);
});
