// The wasm32 TCG backend against native QEMU and against itself: one
// guest boot per backend configuration runs
//  - QEMU's user-mode TCG tests for x86_64 (test-i386.c as test-x86_64,
//    sha512, the float conversions, cmpxchg, noexec, cross-modifying
//    code, ...), static programs built by scripts/tcg-tests.sh and put
//    into the initrd, and
//  - CPU-bound shell workloads (arithmetic, awk, hashing, compression,
//    sorting, bc),
// and every result must equal native QEMU's run of the same guest (which
// is checked against the host where the host can tell) and be the same
// in all configurations.  A boot with two vCPUs runs the workloads that
// the host can check, two at a time.
//
// The guest runs with -cpu max, the CPU QEMU's linux-user gives these
// tests upstream: test-x86_64 uses popcnt/lzcnt/tzcnt, others BMI2, ADX,
// FMA, SSE4.1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  Guest, guestArgs, initrdWith, PROMPT, BOOT_TIMEOUT_MS,
  WASM_QEMU, NATIVE_QEMU,
} from './guest.mjs';
import {
  selectedConfigs, configName, tcgTests, scratchDir, TCG_TESTS, runOnHost,
  md5, readGuestFile, firstDifference, maskUndefined, TCG_TIMEOUT_MS,
} from './tcg.mjs';

const CPU = ['-cpu', 'max'];

// --- the guest's files -----------------------------------------------------

const userTests = tcgTests('user');
const dir = scratchDir('jit-');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

// Random bytes the guest has not seen, so that no constant can fake a
// hash; the same file for every boot, so that the runs can be compared.
const RAND = path.join(dir, 'rand.bin');
fs.writeFileSync(RAND, crypto.randomBytes(256 * 1024 + 77));
const randSha = crypto.createHash('sha256').update(fs.readFileSync(RAND)).digest('hex');

let initrd;
function theInitrd() {
  initrd ??= initrdWith([[RAND, '/root/rand.bin'],
    ...userTests.map((n) => [path.join(TCG_TESTS, 'user', n), `/root/tcg/${n}`])]);
  return initrd;
}
test.after(() => {
  if (initrd) fs.rmSync(path.dirname(initrd), { recursive: true, force: true });
});

// --- the shell workloads ---------------------------------------------------

// The data the awk workload generates: a 32-bit LCG, exact in awk's
// doubles (69069 * 2^32 < 2^53), so the host can compute it too.
const N = 5000;
function lcgLines() {
  const v = [];
  let x = 1n;
  for (let i = 0; i < N; i++) {
    x = (x * 69069n + 1n) % 4294967296n;
    v.push(x);
  }
  return v;
}
const hashOf = (alg, s) => crypto.createHash(alg).update(s).digest('hex');
const data = lcgLines();
const dataText = data.map(String).join('\n') + '\n';
const sorted = [...data].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

function shellLoop(n) {
  let s = 0n;
  for (let i = 0n; i < n; i++) s = (s * 31n + i) & 0xffffffffffffn;
  return s;
}

// [name, command, what the host computes (or null: native QEMU only)].
// Later workloads read /tmp/n.txt, which the second one writes.
const WORKLOADS = [
  ['shell arithmetic',
    'i=0; s=0; while [ $i -lt 3000 ]; do s=$(( (s*31 + i) & 0xffffffffffff ));' +
    ' i=$((i+1)); done; echo $s',
    String(shellLoop(3000n))],
  ['awk generates data',
    `awk 'BEGIN{x=1;for(i=0;i<${N};i++){x=(x*69069+1)%4294967296;print x}}'` +
    ' > /tmp/n.txt; wc -l < /tmp/n.txt; md5sum < /tmp/n.txt',
    `${N}\n${hashOf('md5', dataText)}  -`],
  ['hashes',
    'for h in md5sum sha1sum sha256sum sha512sum; do $h < /tmp/n.txt; done',
    ['md5', 'sha1', 'sha256', 'sha512'].map((a) => `${hashOf(a, dataText)}  -`).join('\n')],
  ['gzip',
    'gzip -c /tmp/n.txt > /tmp/n.gz; md5sum < /tmp/n.gz; gzip -dc /tmp/n.gz | md5sum',
    null],
  ['bzip2',
    'bzip2 -c /tmp/n.txt > /tmp/n.bz2; md5sum < /tmp/n.bz2; bzip2 -dc /tmp/n.bz2 | md5sum',
    null],
  ['sort',
    'sort -n /tmp/n.txt > /tmp/s.txt; md5sum < /tmp/s.txt; tail -n 3 /tmp/s.txt',
    `${hashOf('md5', sorted.join('\n') + '\n')}  -\n` + sorted.slice(-3).join('\n')],
  ['awk sums',
    "awk '{s+=$1; if($1>m)m=$1} END{printf \"%d %.0f %.0f\\n\", NR, m, s}' /tmp/n.txt",
    `${N} ${sorted[N - 1]} ${data.reduce((a, b) => a + b, 0n)}`],
  ['bc', "echo '2^2000 / 7^300 + 3^500 % 1000003' | bc | md5sum", null],
  ['random file',
    'sha256sum < /root/rand.bin; gzip -c /root/rand.bin | gzip -dc | sha256sum',
    `${randSha}  -\n${randSha}  -`],
];

// The gzip and bzip2 workloads decompress what they compressed.
const ROUND_TRIP = `${hashOf('md5', dataText)}  -`;

// --- running it all in one boot ---------------------------------------------

async function boot(t, binary, extra) {
  const vm = new Guest(binary, [...guestArgs({ initrd: theInitrd() }), ...CPU, ...extra]);
  t.after(() => vm.kill());
  const t0 = Date.now();
  await vm.waitFor(PROMPT, BOOT_TIMEOUT_MS);
  t.diagnostic(`shell prompt after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await vm.run('mkdir -p /tmp/tcg');
  return vm;
}

async function timed(t, fn) {
  const t0 = Date.now();
  const r = await fn();
  t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return r;
}

// A user test's exit status and the md5 of what it printed.
function runUserTest(vm, name) {
  return vm.run(`cd /root/tcg && ./${name} > /tmp/tcg/${name}.out 2>&1; ` +
    `echo "status $?"; md5sum < /tmp/tcg/${name}.out`, TCG_TIMEOUT_MS);
}

async function powerOff(vm) {
  assert.equal(await vm.powerOff(), 0, 'QEMU exits with status 0 on poweroff');
}

// Results by configuration ('native' too): name -> output.
const results = new Map();
const nativeOutputs = new Map();

test('native QEMU runs the workloads and QEMU\'s user-mode tests (reference)',
  async (t) => {
    assert.ok(fs.existsSync(NATIVE_QEMU), `${NATIVE_QEMU} is built by 'make native'`);
    const vm = await boot(t, NATIVE_QEMU, []);
    const res = new Map();
    results.set('native', res);
    for (const name of userTests) {
      await t.test(name, async (t) => {
        const got = await runUserTest(vm, name);
        res.set(name, got);
        const output = await readGuestFile(vm, `/tmp/tcg/${name}.out`, TCG_TIMEOUT_MS);
        nativeOutputs.set(name, output);
        assert.equal(got, `status 0\n${md5(output)}  -`, `${name} fails:\n${output.slice(-1500)}`);
        checkAgainstHost(t, name, output);
      });
    }
    for (const [name, cmd, host] of WORKLOADS) {
      await t.test(name, async () => {
        const got = await vm.run(cmd, TCG_TIMEOUT_MS);
        res.set(name, got);
        checkWorkload(name, got, host);
      });
    }
    await powerOff(vm);
  });

// The host ran the same binary: its output, with what the architecture
// leaves undefined masked (see maskUndefined), and the tree's reference
// output where it has one, must equal native QEMU's.
function checkAgainstHost(t, name, output) {
  const file = path.join(TCG_TESTS, 'user', name);
  const host = runOnHost(file);
  if (host.signal === 'SIGILL') {
    t.diagnostic(`the host CPU cannot run ${name}; compared with QEMU only`);
  } else {
    assert.equal(host.status, 0, `${name} fails on the host: ${host.output.slice(-500)}`);
    const a = maskUndefined(name, output);
    const b = maskUndefined(name, host.output);
    assert.ok(a === b, `${name}: native QEMU's output differs from the host's: ` +
      firstDifference(a, b));
  }
  if (fs.existsSync(`${file}.ref`)) {
    const ref = fs.readFileSync(`${file}.ref`, 'latin1');
    assert.ok(output === ref, `${name}: output differs from ${name}.ref: ` +
      firstDifference(output, ref));
  }
}

function checkWorkload(name, got, host) {
  if (host !== null) assert.equal(got, host, `${name}: the host computes otherwise`);
  if (name === 'gzip' || name === 'bzip2') {
    assert.equal(got.split('\n')[1], ROUND_TRIP, `${name} -d gives back other data`);
  }
}

for (const config of selectedConfigs()) {
  const cname = configName(config);
  test(`wasm32 QEMU (${cname}) gives native QEMU's results`, async (t) => {
    const vm = await boot(t, WASM_QEMU, config);
    const res = new Map();
    results.set(cname, res);
    const native = results.get('native') || new Map();
    for (const name of userTests) {
      await t.test(name, async (t) => {
        const got = await timed(t, () => runUserTest(vm, name));
        res.set(name, got);
        if (got !== native.get(name)) {
          // Show where: fetch the whole output only when it differs.
          const output = await readGuestFile(vm, `/tmp/tcg/${name}.out`, TCG_TIMEOUT_MS)
            .catch((e) => `(cannot read it back: ${e.message})`);
          const want = nativeOutputs.get(name);
          assert.fail(`${name}: ${got.split('\n')[0]}, native QEMU: ` +
            `${native.get(name)?.split('\n')[0] ?? 'no result (see its test)'}\n` +
            (want === undefined ? `output:\n${output.slice(-1500)}`
              : firstDifference(output, want)));
        }
        assert.match(got, /^status 0\n/, `${name} fails`);
      });
    }
    for (const [name, cmd, host] of WORKLOADS) {
      await t.test(name, async (t) => {
        const got = await timed(t, () => vm.run(cmd, TCG_TIMEOUT_MS));
        res.set(name, got);
        checkWorkload(name, got, host);
        assert.ok(native.has(name), `no native result for ${name} (see the native test)`);
        assert.equal(got, native.get(name), `${name}: differs from native QEMU`);
      });
    }
    await powerOff(vm);
  });
}

// Implied by the above when native QEMU ran; said on its own so that a
// difference between the backend's modes is named as such.
test('every backend configuration gives the same results', () => {
  const names = selectedConfigs().map(configName);
  const missing = names.filter((n) => !results.has(n));
  assert.deepEqual(missing, [], 'these configurations did not finish');
  const [first, ...rest] = names;
  for (const name of [...userTests, ...WORKLOADS.map((w) => w[0])]) {
    for (const other of rest) {
      assert.equal(results.get(other).get(name), results.get(first).get(name),
        `${name}: ${other} and ${first} differ`);
    }
  }
});

// Two vCPUs: each vCPU thread compiles and runs its own modules, and
// both find the same blocks hot at the same time.  The workloads run in
// pairs, side by side, so that both threads run guest code at once.
test('two vCPUs, each compiling what it runs, give the host\'s results', async (t) => {
  const vm = await boot(t, WASM_QEMU, ['-smp', '2']);
  assert.equal(await vm.run('grep -c ^processor /proc/cpuinfo'), '2', 'the guest has two CPUs');
  const checked = WORKLOADS.filter(([, , host]) => host !== null);
  // Alone first: the second writes /tmp/n.txt, which the others read.
  for (const [name, cmd, host] of checked.slice(0, 2)) {
    await t.test(name, async () => checkWorkload(name, await vm.run(cmd, TCG_TIMEOUT_MS), host));
  }
  const rest = checked.slice(2);
  for (let i = 0; i < rest.length; i += 2) {
    const pair = rest.slice(i, i + 2);
    await t.test(pair.map((w) => w[0]).join(' + '), async () => {
      const jobs = pair.map(([, cmd], k) => `(${cmd}) > /tmp/smp${k}.out 2>&1 &`).join(' ');
      await vm.run(`${jobs} wait`, TCG_TIMEOUT_MS);
      for (const [k, [name, , host]] of pair.entries()) {
        checkWorkload(name, await vm.run(`cat /tmp/smp${k}.out`), host);
      }
    });
  }
  await powerOff(vm);
});
