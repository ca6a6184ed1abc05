// A failed toolchain or source download ends with one clear error line
// and a non-zero status.  The mirror here is a closed local port.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TOP } from './guest.mjs';

const DEAD_MIRROR = {
  DEBIAN_MIRROR: 'http://127.0.0.1:9/debian',
  DEBIAN_SECURITY_MIRROR: 'http://127.0.0.1:9/debian-security',
};

function script(name, args, env) {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'qemu-wasm-cache-'));
  const r = spawnSync(path.join(TOP, 'scripts', name), args, {
    env: { ...process.env, ...DEAD_MIRROR, QEMU_WASM_CACHE: cache, ...env },
    encoding: 'utf8', timeout: 300000,
  });
  assert.equal(r.error, undefined, `${name} ended by itself`);
  return r;
}

function lastLine(text) {
  return text.trim().split('\n').pop();
}

test('source download from an unreachable mirror', () => {
  const r = script('fetch-source.sh', ['zlib']);
  assert.notEqual(r.status, 0);
  assert.match(lastLine(r.stderr),
    /^fetch-source\.sh: error: cannot download http:\/\/127\.0\.0\.1:9\/.*zlib.*is the mirror reachable\?\)$/);
});

test('toolchain bootstrap from an unreachable mirror',
  { skip: process.getuid?.() !== 0 && 'debootstrap needs root' }, () => {
    const r = script('toolchain.sh', ['setup'], { QEMU_WASM_TOOLCHAIN: 'chroot' });
    assert.notEqual(r.status, 0);
    assert.match(lastLine(r.stderr), /^toolchain\.sh: error: debootstrap of trixie failed, see .*debootstrap\.log$/);
  });
