// A virtio disk whose requests QEMU handles on the vCPU thread
// (ioeventfd=off): each one enters a block-layer coroutine there, and
// the coroutine switch unwinds the vCPU thread's stack with Asyncify
// from inside the port or MMIO write that the guest's driver made, from
// compiled code once that code is hot.  The guest reads the whole disk
// and copies part of it within the disk; what it reads must be the
// image's bytes and what it writes must reach the image file, in every
// backend configuration.  With wasm-threshold=1 the driver runs
// compiled, so some of those calls must have been resumed in compiled
// code; with wasm=off all of them are resumed by the interpreter, which
// handles the unwinding itself rather than through Asyncify (see
// tci_interpret() in tcg/wasm32.c).  wasm-stats counts both.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  Guest, guestArgs, initrdWith, PROMPT, BOOT_TIMEOUT_MS, WASM_QEMU, GUEST,
} from './guest.mjs';
import { selectedConfigs, configName, scratchDir } from './tcg.mjs';

const MiB = 1 << 20;
const dir = scratchDir('disk-');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

// The virtio modules, which scripts/guest.sh keeps beside the initramfs.
const MODULES = path.join(GUEST, 'modules');
const modules = fs.readFileSync(path.join(MODULES, 'modules.order'), 'utf8')
  .trim().split('\n');
const initrd = initrdWith(modules.map((m) => [path.join(MODULES, m), `/root/modules/${m}`]));
test.after(() => fs.rmSync(path.dirname(initrd), { recursive: true, force: true }));

// Random bytes, so that no constant can pass for them; after the guest's
// copy, the last MiB holds the first.
const image = crypto.randomBytes(4 * MiB);
const copied = Buffer.concat([image.subarray(0, 3 * MiB), image.subarray(0, MiB)]);
const md5 = (b) => crypto.createHash('md5').update(b).digest('hex');

for (const config of selectedConfigs()) {
  const cname = configName(config);
  test(`the guest reads and writes a virtio disk (${cname})`, async (t) => {
    const file = path.join(dir, `${cname.replace(/\W/g, '-')}.img`);
    fs.writeFileSync(file, image);
    const accel = config.length ? config[1] : 'tcg';
    const vm = new Guest(WASM_QEMU, [...guestArgs({ initrd }),
      '-accel', `${accel},wasm-stats=on`,
      '-drive', `file=${file},format=raw,if=none,id=disk`,
      '-device', 'virtio-blk-pci,drive=disk,ioeventfd=off']);
    t.after(() => vm.kill());
    await vm.waitFor(PROMPT, BOOT_TIMEOUT_MS);

    const insmod = modules.map((m) => `insmod /root/modules/${m} || echo "no ${m}"`);
    assert.equal(await vm.run(`${insmod.join('; ')}; ` +
      'i=0; while [ ! -b /dev/vda ] && [ $i -lt 60 ]; do sleep 1; i=$((i+1)); done; ' +
      'cat /sys/block/vda/size'), String(image.length / 512),
    'the guest sees a disk of the image\'s size');

    assert.equal(await vm.run('md5sum < /dev/vda', 300000), `${md5(image)}  -`,
      'the guest reads the image\'s bytes');

    // Write past the page cache, drop it, and read the disk again.
    assert.equal(await vm.run('dd if=/dev/vda of=/dev/vda bs=65536 count=16 seek=48 ' +
      'conv=notrunc,fsync 2>/dev/null && echo 3 > /proc/sys/vm/drop_caches && ' +
      'md5sum < /dev/vda', 300000), `${md5(copied)}  -`,
    'the guest reads back what it wrote');

    assert.equal(await vm.powerOff(), 0, 'QEMU exits with status 0 on poweroff');
    assert.ok(md5(fs.readFileSync(file)) === md5(copied),
      'the image file holds what the guest wrote');

    const resumed = vm.stderr.match(
      /(\d+) resumed after unwinding in compiled code and (\d+) in the interpreter/);
    assert.ok(resumed, `wasm-stats printed no statistics:\n${vm.stderr}`);
    const [compiled, interpreted] = [Number(resumed[1]), Number(resumed[2])];
    t.diagnostic(`helper calls resumed: ${compiled} in compiled code, ` +
      `${interpreted} in the interpreter`);
    if (cname === 'wasm-threshold=1') {
      assert.ok(compiled > 0, 'no helper call unwound in compiled code');
    }
    if (cname === 'wasm=off') {
      assert.equal(compiled, 0, 'calls resumed in compiled code without any');
      assert.ok(interpreted > 0, 'no helper call unwound in the interpreter');
    }
  });
}
