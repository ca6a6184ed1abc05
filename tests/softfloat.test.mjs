// QEMU's softfloat against Berkeley TestFloat, for what the series
// changes in fpu/softfloat.c: tests/fp/fp-test, built with native QEMU
// (`make native`), runs the conversions between float64 and floatx80
// (0095 converts normal numbers directly) in every rounding mode, at
// level 2: upstream's `make check-softfloat` runs level 1, whose cases
// missed a fast path that let values through with bit 10 set (a tie,
// rounded by truncating), where level 2 found 20 errors at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { OUT } from './guest.mjs';

const FP_TEST = path.join(OUT, 'native', 'fp-test');

for (const op of ['f64_to_extF80', 'extF80_to_f64']) {
  test(`softfloat's ${op} agrees with TestFloat`, () => {
    assert.ok(fs.existsSync(FP_TEST), `${FP_TEST} is built by 'make native'`);
    const r = spawnSync(FP_TEST, ['-l', '2', '-r', 'all', op],
      { encoding: 'utf8' });
    const out = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 0, `fp-test ${op} fails:\n${out.slice(-1500)}`);
    // A mode it tests ends in "no errors found"; a failure counts them.
    assert.match(out, /no errors found/, `fp-test ${op} tested nothing:\n${out.slice(-800)}`);
    assert.doesNotMatch(out, /\d+ errors found/, `fp-test ${op}:\n${out.slice(-1500)}`);
  });
}
