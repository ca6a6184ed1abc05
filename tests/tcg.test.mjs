// QEMU's own x86_64 system-mode TCG tests (tests/tcg/x86_64/system with
// the multiarch system tests such as `memory`), built from the base tree
// by scripts/tcg-tests.sh.  Each is a small kernel that prints to
// isa-debugcon and ends QEMU through ACPI power-off (status 0) or
// isa-debug-exit (a failure status).  They must pass on the wasm32 build
// in every backend configuration, with the same output as natively.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { GUEST, WASM_QEMU, NATIVE_QEMU } from './guest.mjs';
import {
  selectedConfigs, configName, tcgTests, scratchDir, TCG_TESTS,
  firstDifference,
} from './tcg.mjs';

// Upstream gives each test 120 s natively (TIMEOUT in
// tests/tcg/Makefile.target); an interpreter on a busy machine needs
// more, and a hang still ends the test.
const TIMEOUT_MS = Number(process.env.TCG_TEST_TIMEOUT_S || 900) * 1000;

// What each test prints when it passes (besides exiting with status 0).
const PASS_LINE = {
  hello: /^Hello World$/m,
  memory: /^Test complete: PASSED$/m,
};

const names = tcgTests('system');
const native = new Map();
const dir = scratchDir('tcg-system-');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

// The command line of tests/tcg/Makefile.target's softmmu run-% rule
// with the x86_64 QEMU_OPTS, plus -L for the firmware (SeaBIOS boots
// the PVH kernel).
function systemTest(binary, name, extra, tag) {
  const out = path.join(dir, `${name}.${tag}.out`);
  const args = ['-L', path.join(GUEST, 'firmware'),
    '-monitor', 'none', '-display', 'none',
    '-chardev', `file,path=${out},id=output`,
    ...extra,
    '-device', 'isa-debugcon,chardev=output',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x4',
    '-kernel', path.join(TCG_TESTS, 'system', name)];
  return new Promise((resolve) => {
    const t0 = Date.now();
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stdout.on('data', (d) => { stderr += d; });
    proc.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => proc.kill('SIGKILL'), TIMEOUT_MS);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code, signal, stderr: stderr.trim(),
        output: fs.existsSync(out) ? fs.readFileSync(out, 'latin1') : '',
        seconds: (Date.now() - t0) / 1000,
      });
    });
  });
}

function assertPassed(name, r) {
  assert.equal(r.signal, null,
    `${name} was killed (${r.signal}): hung past ${TIMEOUT_MS / 1000} s?`);
  assert.equal(r.code, 0, `${name} exited with status ${r.code}; ` +
    `stderr: ${r.stderr}\noutput:\n${r.output.slice(-1500)}`);
  if (PASS_LINE[name]) assert.match(r.output, PASS_LINE[name]);
}

test('native QEMU passes the x86_64 system tests (reference)', async (t) => {
  assert.ok(fs.existsSync(NATIVE_QEMU), `${NATIVE_QEMU} is built by 'make native'`);
  for (const name of names) {
    await t.test(name, async (t) => {
      const r = await systemTest(NATIVE_QEMU, name, [], 'native');
      t.diagnostic(`${r.seconds.toFixed(1)} s`);
      assertPassed(name, r);
      native.set(name, r.output);
    });
  }
});

for (const config of selectedConfigs()) {
  const cname = configName(config);
  test(`wasm32 QEMU (${cname}) passes the x86_64 system tests as natively`,
    async (t) => {
      for (const name of names) {
        await t.test(name, async (t) => {
          const r = await systemTest(WASM_QEMU, name, config, cname);
          t.diagnostic(`${r.seconds.toFixed(1)} s`);
          assertPassed(name, r);
          assert.ok(native.has(name),
            `no native output of ${name} to compare with (see the native test)`);
          assert.ok(r.output === native.get(name),
            `${name}: output differs from native QEMU's: ` +
            firstDifference(r.output, native.get(name)));
        });
      }
    });
}
