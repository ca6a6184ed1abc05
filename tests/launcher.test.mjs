// Bad input to the Node.js launcher ends at once with one clear line and
// a non-zero status: never a hang, never a wasm stack dump.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WASM_QEMU, GUEST, guestArgs } from './guest.mjs';
import { parseRamMiB, splitKeyValues } from '../node/args.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qw-launcher-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function launch(args, env = {}) {
  const r = spawnSync(WASM_QEMU, args, {
    env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60000,
  });
  assert.equal(r.error, undefined, 'the launcher ended by itself');
  return r;
}

function expectOneLineError(r, re) {
  assert.notEqual(r.status, 0, 'non-zero exit status');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
  assert.match(lines[0], re);
}

test('missing kernel', () => {
  const args = guestArgs();
  args[args.indexOf('-kernel') + 1] = path.join(tmp, 'no-such-bzImage');
  expectOneLineError(launch(args),
    /^qemu-system-x86_64: -kernel .*no-such-bzImage: No such file or directory$/);
});

test('missing initrd', () => {
  const args = guestArgs({ initrd: path.join(tmp, 'nope.cpio.gz') });
  expectOneLineError(launch(args),
    /^qemu-system-x86_64: -initrd .*nope\.cpio\.gz: No such file or directory$/);
});

test('unreadable drive image', { skip: process.getuid?.() === 0 && 'root reads anything' }, () => {
  const img = path.join(tmp, 'secret.img');
  fs.writeFileSync(img, Buffer.alloc(4096));
  fs.chmodSync(img, 0);
  expectOneLineError(launch([...guestArgs(), '-drive', `file=${img},format=raw`]),
    /Permission denied$/);
});

test('missing drive image', () => {
  expectOneLineError(
    launch([...guestArgs(), '-drive', `file=${path.join(tmp, 'disk.img')},format=raw`]),
    /^qemu-system-x86_64: -drive file=.*disk\.img: No such file or directory$/);
});

test('firmware folder that is not there', () => {
  const args = guestArgs();
  args[args.indexOf('-L') + 1] = path.join(tmp, 'no-firmware');
  expectOneLineError(launch(args), /^qemu-system-x86_64: -L .*: No such file or directory$/);
});

test('more RAM than wasm32 can hold', () => {
  const args = guestArgs({ mem: '8G' });
  expectOneLineError(launch(args),
    /^qemu-system-x86_64: -m 8G: too much RAM for wasm32 \(at most \d+ MiB\)$/);
});

test('no Node.js', () => {
  expectOneLineError(launch(guestArgs(), { QEMU_WASM_NODE: path.join(tmp, 'no-node') }),
    /^qemu-system-x86_64: Node\.js not found/);
});

test('too old a Node.js', () => {
  const fake = path.join(tmp, 'node16');
  fs.writeFileSync(fake, '#!/bin/sh\n[ "$1" = --version ] && echo v16.20.2 || echo 16\n');
  fs.chmodSync(fake, 0o755);
  expectOneLineError(launch(guestArgs(), { QEMU_WASM_NODE: fake }),
    /^qemu-system-x86_64: Node\.js v16\.20\.2 is too old \(need 18 or newer\)$/);
});

test('a reader that goes away ends QEMU quietly, as natively', () => {
  // `head` exits after the first line; QEMU's next write is EPIPE.
  const r = spawnSync('sh', ['-c', `"$0" --version | head -n 1; exit "$?"`, WASM_QEMU],
    { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.error, undefined, 'the launcher ended by itself');
  assert.match(r.stdout, /^QEMU emulator version /);
  assert.equal(r.stderr, '', 'nothing on stderr');
});

test('a stale NODE_EXTRA_CA_CERTS leaves stderr alone', () => {
  // Node.js would warn that it cannot load the file, before QEMU runs.
  const r = launch(['--version'],
    { NODE_EXTRA_CA_CERTS: path.join(tmp, 'no-such-bundle.pem') });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^QEMU emulator version /);
  assert.equal(r.stderr, '', 'nothing on stderr');
});

test('RAM sizes and key=value lists parse like QEMU', () => {
  assert.equal(parseRamMiB('512'), 512);
  assert.equal(parseRamMiB('1G'), 1024);
  assert.equal(parseRamMiB('size=2g,slots=2,maxmem=4G'), 2048);
  assert.ok(Number.isNaN(parseRamMiB('lots')));
  assert.deepEqual(splitKeyValues('file=a,,b.img,if=virtio'),
    [['file', 'a,b.img'], ['if', 'virtio']]);
});

test('guest material is where the tests expect it', () => {
  assert.ok(fs.existsSync(path.join(GUEST, 'bzImage')));
});
