// The benchmark's own logic, without booting anything: BENCH_B's
// environment and the report's ratios to the default column.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchBEnv } from '../bench/run.mjs';
import { writeReport } from '../bench/report.mjs';

test('BENCH_B is NAME=value words', () => {
  assert.equal(benchBEnv(''), null);
  assert.equal(benchBEnv('  '), null);
  assert.deepEqual(benchBEnv(' QEMU_WASM_BUILD=/tmp/b  X=a=b Y= '),
    { QEMU_WASM_BUILD: '/tmp/b', X: 'a=b', Y: '' });
  assert.throws(() => benchBEnv('QEMU_WASM_BUILD=/tmp/b oops'),
    /BENCH_B: 'oops' is not NAME=value/);
});

test('the B column is compared with the default column', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qw-bench-'));
  try {
    const results = [];
    const add = (config, workload, seconds) => results.push({
      arch: 'x86_64', config, workload, seconds, output: 'same' });
    add('default', 'boot', 4); add('b', 'boot', 5);
    add('default', 'shell', 2); add('b', 'shell', 3);
    add('default', 'awk', 4); add('b', 'awk', 3);
    const text = writeReport({
      started: '2026-12-07T00:00:00.000Z', size: 'quick', repeat: 1, rounds: 1,
      host: { cpu: 'test', cores: 2, node: 'v0', loadavg: ['0', '0', '0'] },
      workloads: [{ name: 'boot', cpu: false, what: 'start to shell prompt' },
        { name: 'shell', cpu: true, what: 'a loop' },
        { name: 'awk', cpu: true, what: 'words' }],
      arches: ['x86_64'],
      configs: [
        { name: 'default', label: 'wasm32 default', command: 'qemu', na: {} },
        { name: 'b', label: 'wasm32 B', command: 'QEMU_WASM_BUILD=/b qemu', na: {} }],
      results, counts: [],
    }, dir);
    const row = (name) => text.split('\n').find((l) => l.startsWith(name));
    assert.match(row('boot'), /4\.00s +5\.00s 1\.25d$/);
    assert.match(row('shell'), /2\.00s +3\.00s 1\.50d$/);
    assert.match(row('awk'), /4\.00s +3\.00s 0\.75d$/);
    // sqrt(1.5 * 0.75)
    assert.match(row('geomean CPU'), /2\.83s +3\.00s 1\.06d$/);
    assert.match(text, /Xd = X times the default column's\. wasm32 B: QEMU_WASM_BUILD=\/b qemu/);
    assert.ok(fs.existsSync(path.join(dir, 'report.svg')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
