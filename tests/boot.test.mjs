// Boot the x86_64 demo guest and talk to it over the serial console.
// The wasm32 build is what this project ships; the native build of the
// same patched tree must keep working too.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Guest, guestArgs, initrdWith, PROMPT, BOOT_TIMEOUT_MS,
  WASM_QEMU, NATIVE_QEMU,
} from './guest.mjs';
import { backendCounts } from '../bench/run.mjs';

// A file the guest has not seen: random bytes, so that no cache or
// constant can fake the hash.
function makeTestFile(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qemu-wasm-data-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'data.bin');
  fs.writeFileSync(file, crypto.randomBytes(3 * 1024 * 1024 + 123));
  const hash = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  return { file, hash };
}

async function bootAndCheck(t, binary, extra = []) {
  const { file, hash } = makeTestFile(t);
  const initrd = initrdWith([[file, '/root/data.bin']]);
  const vm = new Guest(binary, [...guestArgs({ initrd }), ...extra]);
  t.after(() => vm.kill());

  const t0 = Date.now();
  await vm.waitFor(PROMPT, BOOT_TIMEOUT_MS);
  t.diagnostic(`shell prompt after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  assert.equal(await vm.run('uname -m'), 'x86_64');
  assert.equal(await vm.run('echo $((1<<40))'), '1099511627776');
  assert.equal(await vm.run('echo $(( (1<<62) / 3 * 2 + 0x7fffffff ))'),
    String((1n << 62n) / 3n * 2n + 0x7fffffffn));
  assert.equal(await vm.run("sha256sum /root/data.bin | cut -d' ' -f1"), hash);

  // The serial console loses no byte and reorders none, however fast
  // the guest prints, and its last words come out before QEMU exits.
  const t1 = Date.now();
  assert.deepEqual((await vm.run('seq 3000')).split('\n'),
    Array.from({ length: 3000 }, (_, i) => String(i + 1)));
  t.diagnostic(`3000 lines printed in ${((Date.now() - t1) / 1000).toFixed(2)} s`);

  assert.equal(await vm.powerOff(), 0, 'QEMU exits with status 0 on poweroff');
  assert.match(vm.output, /reboot: Power down\s*$/);
  return vm;
}

test('wasm32 qemu-system-x86_64 boots the guest under Node.js', async (t) => {
  const vm = await bootAndCheck(t, WASM_QEMU, ['-accel', 'tcg,wasm-stats=on']);
  // The kernel has loops that its regions enter at two blocks: those
  // ran in copies of blocks that give each loop one way in, and none
  // needed the br_table around a whole function.
  const counts = backendCounts(vm.stderr);
  assert.ok(counts, `no statistics in: ${vm.stderr}`);
  t.diagnostic(`${counts.copied} functions with blocks copied, ` +
    `${counts.brTable} of ${counts.loops} loops through a br_table`);
  assert.ok(counts.copied > 0, 'no function had blocks copied');
  assert.ok(counts.brTable * 100 < counts.loops,
    `${counts.brTable} of ${counts.loops} through a br_table`);
});

test('native build of the patched tree boots the same guest', async (t) => {
  assert.ok(fs.existsSync(NATIVE_QEMU), `${NATIVE_QEMU} is built by 'make native'`);
  await bootAndCheck(t, NATIVE_QEMU);
});

test('Ctrl-A x on the console quits QEMU with status 0', async (t) => {
  const vm = new Guest(WASM_QEMU, guestArgs());
  t.after(() => vm.kill());
  await vm.waitFor(/SeaBIOS/, BOOT_TIMEOUT_MS);
  vm.send('\x01x');
  assert.equal(await vm.exit, 0);
  assert.match(vm.output, /QEMU: Terminated/);
});

// RAM blocks of a megabyte or more come from above the program break
// under Emscripten (patch 0028), and malloc cannot take them back: one
// that is freed waits for the next block that fits, cleared then.  Free
// and reuse some from the monitor, with the machine stopped.
test('wasm32 QEMU reuses RAM backends removed at run time', async (t) => {
  const vm = new Guest(WASM_QEMU, [...guestArgs(), '-S']);
  t.after(() => vm.kill());
  vm.send('\x01c');
  await vm.waitFor(/\(qemu\) $/, BOOT_TIMEOUT_MS);
  for (const cmd of ['object_add memory-backend-ram,id=m1,size=64M',
    'object_add memory-backend-ram,id=m2,size=8M', 'object_del m1',
    'object_add memory-backend-ram,id=m3,size=32M', 'object_del m2',
    'object_del m3', 'object_add memory-backend-ram,id=m4,size=64M']) {
    const from = vm.output.length;
    vm.send(`${cmd}\n`);
    await vm.waitFor(/\n\(qemu\) $/, 30000, from);
  }
  const from = vm.output.length;
  vm.send('info memdev\n');
  const { match } = await vm.waitFor(/memory backend: m4\s+size: +(\d+)[\s\S]*\(qemu\) $/,
    30000, from);
  assert.equal(match[1], String(64 << 20));
  assert.doesNotMatch(vm.output.slice(from), /memory backend: m[123]/);
  vm.send('quit\n');
  assert.equal(await vm.exit, 0);
  assert.equal(vm.stderr, '');
});

// The most RAM QEMU gives a guest on a 32-bit host.  Before patch 0028
// QEMU wrote every page of it before starting the guest: 9 s here.
test('wasm32 guest gets 2047 MiB of RAM', async (t) => {
  const vm = new Guest(WASM_QEMU, guestArgs({ mem: '2047M' }));
  t.after(() => vm.kill());
  const t0 = Date.now();
  await vm.waitFor(PROMPT, BOOT_TIMEOUT_MS);
  t.diagnostic(`shell prompt after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const meminfo = await vm.run('grep MemTotal /proc/meminfo');
  const kib = Number(meminfo.match(/(\d+) kB/)?.[1]);
  assert.ok(kib > 1950 * 1024, meminfo);
  assert.equal(await vm.run('dd if=/dev/zero of=/root/big bs=1M count=64 2>/dev/null; ' +
    'echo end >> /root/big; wc -c < /root/big; tail -c 4 /root/big'), '67108868\nend');
  assert.equal(await vm.powerOff(), 0);
});
