// The port as an upstream-style series: `scripts/series.sh format`
// writes one patch per entry of qemu/series, in order and under its own
// title, commits that only add files (kept in qemu/overlay/) included.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TOP } from './guest.mjs';
import { scratchDir } from './tcg.mjs';

test('the series formats as one patch per entry, titles kept', () => {
  const dir = scratchDir('series-');
  try {
    execFileSync(path.join(TOP, 'scripts', 'series.sh'), ['format', dir],
      { stdio: ['ignore', 'ignore', 'inherit'] });
    const entries = fs.readFileSync(path.join(TOP, 'qemu', 'series'), 'utf8')
      .split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
      .map((l) => l.split(/\s+/)[0]);
    const patches = fs.readdirSync(dir).filter((f) => !f.startsWith('0000-')).sort();
    assert.equal(patches.length, entries.length, patches.join('\n'));
    for (const [i, e] of entries.entries()) {
      // format-patch names a patch after its title, as the series does.
      assert.equal(patches[i].slice(5), e.slice(5), `patch ${i + 1}`);
      assert.ok(fs.existsSync(path.join(TOP, 'qemu', 'patches', e)),
        `${e}: no patch file`);
      assert.match(fs.readFileSync(path.join(dir, patches[i]), 'utf8'),
        /\nSigned-off-by: /, `${patches[i]} has no Signed-off-by`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
