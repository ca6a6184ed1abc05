// QEMU's own x86_64 system-mode TCG tests (tests/tcg/x86_64/system with
// the multiarch system tests such as `memory`), built from the base tree
// by scripts/tcg-tests.sh.  Each is a small kernel that prints to
// isa-debugcon and ends QEMU through ACPI power-off (status 0) or
// isa-debug-exit (a failure status).  They must pass on the wasm32 build
// in every backend configuration, with the same output as natively.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { WASM_QEMU, NATIVE_QEMU } from './guest.mjs';
import {
  selectedConfigs, configName, tcgTests, scratchDir, firstDifference,
  runSystemTest, TCG_TIMEOUT_MS,
} from './tcg.mjs';

// What each test prints when it passes (besides exiting with status 0).
const PASS_LINE = {
  hello: /^Hello World$/m,
  memory: /^Test complete: PASSED$/m,
  'global-pages': /^Test complete: PASSED$/m,
  'tlb-conflict': /^Test complete: PASSED$/m,
  'large-page-code': /^Test complete: PASSED$/m,
  'mmio-in-block': /^Test complete: PASSED$/m,
  'null-ss-stack': /^Test complete: PASSED$/m,
  'code-data-page': /^Test complete: PASSED$/m,
  'cr3-code-pages': /^Test complete: PASSED$/m,
};

const names = tcgTests('system');
const native = new Map();
const dir = scratchDir('tcg-system-');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

function systemTest(binary, name, extra, tag) {
  return runSystemTest(binary, name, path.join(dir, `${name}.${tag}.out`), { extra });
}

function assertPassed(name, r) {
  assert.equal(r.signal, null,
    `${name} was killed (${r.signal}): hung past ${TCG_TIMEOUT_MS / 1000} s?`);
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
