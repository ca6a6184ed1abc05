// The port as an upstream-style series: `scripts/series.sh format`
// writes one patch per entry of qemu/series, in order and under its own
// title, commits that only add files (kept in qemu/overlay/) included,
// and QEMU's own style checker finds no errors in any of them.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TOP } from './guest.mjs';
import { scratchDir } from './tcg.mjs';

let formatted = null;

// The series as `git format-patch` writes it, once for all the tests.
function formatSeries() {
  if (!formatted) {
    formatted = scratchDir('series-');
    execFileSync(path.join(TOP, 'scripts', 'series.sh'), ['format', formatted],
      { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return formatted;
}

function patchesIn(dir) {
  return fs.readdirSync(dir).filter((f) => !f.startsWith('0000-')).sort();
}

after(() => {
  if (formatted) fs.rmSync(formatted, { recursive: true, force: true });
});

test('the series formats as one patch per entry, titles kept', () => {
  const dir = formatSeries();
  const entries = fs.readFileSync(path.join(TOP, 'qemu', 'series'), 'utf8')
    .split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
    .map((l) => l.split(/\s+/)[0]);
  const patches = patchesIn(dir);
  assert.equal(patches.length, entries.length, patches.join('\n'));
  for (const [i, e] of entries.entries()) {
    // format-patch names a patch after its title, as the series does.
    assert.equal(patches[i].slice(5), e.slice(5), `patch ${i + 1}`);
    assert.ok(fs.existsSync(path.join(TOP, 'qemu', 'patches', e)),
      `${e}: no patch file`);
    assert.match(fs.readFileSync(path.join(dir, patches[i]), 'utf8'),
      /\nSigned-off-by: /, `${patches[i]} has no Signed-off-by`);
  }
});

// Warnings stay for a reader to weigh: "does MAINTAINERS need updating?"
// for files that the MAINTAINERS patch covers, a generated help line over
// 80 columns, architecture #ifdefs that the code around them has too.
test('scripts/checkpatch.pl of the base finds no errors in the series', () => {
  const dir = formatSeries();
  const base = execFileSync(path.join(TOP, 'scripts', 'qemu.sh'), ['base'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const checkpatch = path.join(base, 'scripts', 'checkpatch.pl');
  const errors = [];
  for (const p of patchesIn(dir)) {
    const r = spawnSync('perl', [checkpatch, '--no-tree', '--terse', p],
      { cwd: dir, encoding: 'utf8' });
    // 0: clean or warnings only, 1: errors; anything else, it failed.
    assert.ok(r.status === 0 || r.status === 1,
      `${p}: checkpatch.pl did not run: ${r.stderr || r.error}`);
    errors.push(...r.stdout.split('\n').filter((l) => l.includes(': ERROR: ')));
  }
  assert.deepEqual(errors, []);
});
