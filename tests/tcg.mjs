// Shared by the TCG tests: the QEMU configurations the wasm32 backend is
// tested in, QEMU's own TCG tests as scripts/tcg-tests.sh builds them,
// and small helpers to compare outputs.

import { spawn, spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { GUEST, OUT } from './guest.mjs';

// The backend's modes: its default policy (interpret, compile hot
// blocks), the interpreter alone, and every block compiled before its
// first run.  Each must give the same guest-visible results.
export const CONFIGS = [
  [],
  ['-accel', 'tcg,wasm=off'],
  ['-accel', 'tcg,wasm-threshold=1'],
];

export function configName(args) {
  return args.length ? args[1].replace(/^tcg,/, '') : 'default';
}

// TCG_CONFIGS="default wasm=off" runs only those (for a build that does
// not have the others yet, or to save time); unknown names are an error.
export function selectedConfigs() {
  const want = (process.env.TCG_CONFIGS || '').split(/\s+/).filter(Boolean);
  if (!want.length) return CONFIGS;
  const names = CONFIGS.map(configName);
  for (const w of want) {
    assert.ok(names.includes(w),
      `TCG_CONFIGS: unknown configuration '${w}' (known: ${names.join(', ')})`);
  }
  return CONFIGS.filter((c) => want.includes(configName(c)));
}

export const TCG_TESTS = path.join(OUT, 'tcg-tests');

// The names scripts/tcg-tests.sh built, in order ('system' or 'user').
export function tcgTests(kind) {
  const list = path.join(TCG_TESTS, kind, 'LIST');
  assert.ok(fs.existsSync(list),
    `${list} is missing: 'make tcg-tests' (scripts/tcg-tests.sh) builds ` +
    'QEMU\'s TCG tests from the base tree');
  return fs.readFileSync(list, 'utf8').split('\n').filter(Boolean);
}

// How long one test program or guest command may take.  Upstream gives
// each test 120 s natively (TIMEOUT in tests/tcg/Makefile.target); the
// slowest here takes about 20 s on the interpreter, and a busy machine
// needs more.  A hang ends the test, and the guest's later commands fail
// at once (see Guest.run).
export const TCG_TIMEOUT_MS = Number(process.env.TCG_TEST_TIMEOUT_S || 300) * 1000;

// Run one of the system tests that scripts/tcg-tests.sh built: the
// command line of tests/tcg/Makefile.target's softmmu run-% rule with
// the x86_64 QEMU_OPTS, plus -L for the firmware (SeaBIOS boots the PVH
// kernel).  Its isa-debugcon output goes to the file `out`.
export function runSystemTest(binary, name, out, { extra = [], env = {} } = {}) {
  const args = ['-L', path.join(GUEST, 'firmware'),
    '-monitor', 'none', '-display', 'none',
    '-chardev', `file,path=${out},id=output`,
    ...extra,
    '-device', 'isa-debugcon,chardev=output',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x4',
    '-kernel', path.join(TCG_TESTS, 'system', name)];
  return new Promise((resolve) => {
    const t0 = Date.now();
    const proc = spawn(binary, args, {
      env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stdout.on('data', (d) => { stderr += d; });
    proc.stderr.on('data', (d) => { stderr += d; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, TCG_TIMEOUT_MS);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      // A hang must not read as an empty message.
      if (timedOut) {
        stderr += `\n(${name}: killed after ${TCG_TIMEOUT_MS / 1000} s ` +
          'without exiting)';
      }
      resolve({
        code, signal, stderr: stderr.trim(),
        output: fs.existsSync(out) ? fs.readFileSync(out, 'latin1') : '',
        seconds: (Date.now() - t0) / 1000,
      });
    });
  });
}

// A scratch folder under $OUT: the native reference runs in the
// toolchain chroot, which sees the output folder but not /tmp.
export function scratchDir(prefix) {
  fs.mkdirSync(path.join(OUT, 'tmp'), { recursive: true });
  return fs.mkdtempSync(path.join(OUT, 'tmp', prefix));
}

// Run a program on the host; output is stdout then stderr, as the guest
// sees `prog > out 2>&1` (the tests print to only one of them).
export function runOnHost(file) {
  const r = spawnSync(file, [], { encoding: 'latin1', timeout: 60000 });
  return { status: r.status, signal: r.signal, output: r.stdout + r.stderr };
}

export function md5(text) {
  return crypto.createHash('md5').update(text, 'latin1').digest('hex');
}

// Read a guest file over the serial console, gzip'd and in base64 so
// that the tty cannot mangle it.
export async function readGuestFile(vm, file, timeoutMs) {
  const b64 = await vm.run(`gzip -c ${file} | base64`, timeoutMs);
  return zlib.gunzipSync(Buffer.from(b64.replace(/\s+/g, ''), 'base64'))
    .toString('latin1');
}

// Where two outputs part: the first differing line with its neighbours.
export function firstDifference(got, want) {
  const a = got.split('\n');
  const b = want.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (i === a.length && i === b.length) return 'identical';
  const show = (lines) => lines.slice(Math.max(0, i - 2), i + 3)
    .map((l, k) => `${Math.max(0, i - 2) + k + 1}: ${l}`).join('\n');
  return `outputs part at line ${i + 1} (${a.length} vs ${b.length} lines)` +
    `\n--- got\n${show(a)}\n--- expected\n${show(b)}`;
}

// test-i386's output on the host CPU differs from QEMU's emulated CPU
// only where the architecture leaves results undefined or the host's
// x87 keeps state QEMU does not model:
//  - 16-bit shld/shrd with a (5-bit) count above 16: the SDM leaves the
//    result and flags undefined; AMD and Intel (whom QEMU follows)
//    differ;
//  - the x87 status word's C1 bit as fnstenv/fnsave store it after a run
//    of fld: AMD clears it, QEMU's FPU emulation leaves it set.
// Those fields are masked before comparing with the host; the wasm32
// build must still match native QEMU exactly, unmasked.
export function maskUndefined(name, text) {
  if (name !== 'test-x86_64') return text;
  return text.split('\n').map((line) => {
    const sh = /^(sh[lr]dw +A=\S+ B=\S+ C=)(\S+)( R=)\S+( CCIN=\S+ CC=)\S+$/.exec(line);
    if (sh && (parseInt(sh[2], 16) & 0x1f) > 16) {
      return `${sh[1]}${sh[2]}${sh[3]}undefined${sh[4]}undefined`;
    }
    const fp = /^(fpuc=\S+ fpus=)([0-9a-f]{4})( .*)$/.exec(line);
    if (fp) {
      const fpus = (parseInt(fp[2], 16) & ~0x0200).toString(16).padStart(4, '0');
      return `${fp[1]}${fpus}${fp[3]}`;
    }
    return line;
  }).join('\n');
}
