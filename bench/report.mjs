// The benchmark's report, from its raw numbers (results.json written by
// bench/run.mjs): a text table, the same in Markdown, and an SVG chart.
//
//   node bench/report.mjs [results.json]   write the report again

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const COLORS = {
  default: '#1f77b4', 'wasm-off': '#9ecae1', threshold1: '#ff7f0e',
  native: '#2ca02c', v86: '#d62728', b: '#9467bd',
};

function result(data, arch, config, workload) {
  return data.results.find((r) => r.arch === arch && r.config === config &&
    r.workload === workload);
}

function seconds(data, arch, config, workload) {
  const r = result(data, arch, config, workload);
  return r && typeof r.seconds === 'number' ? r.seconds : null;
}

export function geomean(xs) {
  return xs.length ? Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length) : null;
}

function fmtTime(s) {
  if (s < 10) return `${s.toFixed(2)}s`;
  if (s < 100) return `${s.toFixed(1)}s`;
  return `${Math.round(s)}s`;
}

function fmtRatio(x) {
  return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : String(Math.round(x));
}

// Every workload's output should be the same on every configuration (and
// both guests mostly agree too, but 32- and 64-bit busybox need not).
// The reference is native QEMU's output, else the first one there is.
export function mismatches(data) {
  const out = [];
  for (const arch of data.arches) {
    for (const w of data.workloads) {
      const rs = data.configs.map((c) => result(data, arch, c.name, w.name))
        .filter((r) => r && typeof r.output === 'string');
      const ref = rs.find((r) => r.config === 'native') || rs[0];
      for (const r of rs) {
        if (r.output !== ref.output || r.unstable) {
          out.push({ arch, workload: w.name, config: r.config, ref: ref.config,
            got: r.output, want: ref.output, unstable: !!r.unstable });
        }
      }
    }
  }
  return out;
}

// Workloads whose reference output is the same on every guest: the
// text, busybox's version and cbench's arithmetic do not depend on the
// word size, so a difference here points at an emulator.
function archAgreement(data) {
  if (data.arches.length < 2) return null;
  const ref = (arch, w) => {
    const rs = data.configs.map((c) => result(data, arch, c.name, w))
      .filter((r) => r && typeof r.output === 'string');
    return (rs.find((r) => r.config === 'native') || rs[0])?.output;
  };
  const same = [], differ = [];
  for (const w of data.workloads.filter((k) => k.name !== 'boot')) {
    const outs = data.arches.map((a) => ref(a, w.name));
    if (outs.some((o) => o === undefined)) continue;
    (outs.every((o) => o === outs[0]) ? same : differ).push(w.name);
  }
  return { same, differ };
}

// Geometric mean of the CPU-bound workloads' times of a configuration,
// and its ratio to another configuration over the workloads both ran.
function gm(data, arch, config, against) {
  const ws = data.workloads.filter((w) => w.cpu).map((w) => w.name);
  const pairs = ws.map((w) => [seconds(data, arch, config, w),
    against ? seconds(data, arch, against, w) : 1])
    .filter(([a, b]) => a !== null && b !== null);
  if (!pairs.length) return null;
  return {
    value: geomean(pairs.map(([a, b]) => a / b)),
    n: pairs.length, of: ws.length,
  };
}

// The rows of the table: each a label and, per configuration, a cell
// {text, seconds} or a note.  Shared by the text and Markdown forms.
function rows(data, notes, bad) {
  const out = [];
  const noteFor = (reason) => {
    let i = notes.indexOf(reason);
    if (i < 0) i = notes.push(reason) - 1;
    return `n/a[${i + 1}]`;
  };
  for (const arch of data.arches) {
    out.push({ section: `${arch} guest` });
    for (const w of data.workloads) {
      const cells = data.configs.map((c) => {
        if (c.na[arch]) return { text: noteFor(c.na[arch]) };
        const r = result(data, arch, c.name, w.name);
        if (!r) return { text: '-' };
        if (r.error) {
          return { text: noteFor(r.error).replace('n/a',
            r.error.startsWith('not run') ? 'skip' : 'fail') };
        }
        const nat = seconds(data, arch, 'native', w.name);
        const v = seconds(data, arch, 'v86', w.name);
        let text = fmtTime(r.seconds);
        if (nat && c.name !== 'native') text += ` ${fmtRatio(r.seconds / nat)}n`;
        if (v && c.name !== 'v86') text += ` ${fmtRatio(r.seconds / v)}v`;
        const d = c.name === 'b' && seconds(data, arch, 'default', w.name);
        if (d) text += ` ${fmtRatio(r.seconds / d)}d`;
        if (bad.some((m) => m.arch === arch && m.workload === w.name &&
          m.config === c.name)) text += ' !';
        return { text, seconds: r.seconds };
      });
      out.push({ label: w.name, cells });
    }
    const cells = data.configs.map((c) => {
      const g = gm(data, arch, c.name);
      if (!g) return { text: '' };
      let text = fmtTime(g.value);
      const n = c.name !== 'native' && gm(data, arch, c.name, 'native');
      const v = c.name !== 'v86' && gm(data, arch, c.name, 'v86');
      if (n) text += ` ${fmtRatio(n.value)}n`;
      if (v) text += ` ${fmtRatio(v.value)}v`;
      const d = c.name === 'b' && gm(data, arch, 'b', 'default');
      if (d) text += ` ${fmtRatio(d.value)}d`;
      if (g.n < g.of) text += ` (${g.n}/${g.of})`;
      return { text };
    });
    out.push({ label: 'geomean CPU', cells });
  }
  return out;
}

// The issue's targets, read off this run where the columns are there.
function targets(data) {
  const lines = [];
  const say = (what, ok, detail) => lines.push(
    `${ok === null ? 'n/a ' : ok ? 'met ' : 'MISS'}  ${what}: ${detail}`);
  for (const arch of data.arches) {
    const off = gm(data, arch, 'wasm-off', 'default');
    say(`${arch}: compiled >= 10x faster than wasm=off (CPU geomean)`,
      off ? off.value >= 10 : null,
      off ? `wasm=off takes ${fmtRatio(off.value)}x the default's time` : 'needs both columns');
    const nat = gm(data, arch, 'default', 'native');
    say(`${arch}: within 2x of native TCG (CPU geomean)`,
      nat ? nat.value <= 2 : null,
      nat ? `${fmtRatio(nat.value)}x native` : 'needs both columns');
    const b = seconds(data, arch, 'default', 'boot');
    const bn = seconds(data, arch, 'native', 'boot');
    say(`${arch}: boot within 2.5x of native`, b && bn ? b / bn <= 2.5 : null,
      b && bn ? `${fmtRatio(b / bn)}x native` : 'needs both columns');
  }
  if (data.arches.includes('i386')) {
    const slower = [];
    let compared = 0;
    for (const w of data.workloads) {
      const d = seconds(data, 'i386', 'default', w.name);
      const v = seconds(data, 'i386', 'v86', w.name);
      if (d === null || v === null) continue;
      compared++;
      if (d >= v) slower.push(`${w.name} ${fmtRatio(d / v)}x`);
    }
    say('i386: faster than v86 on every workload', compared ? !slower.length : null,
      !compared ? 'needs both columns'
        : slower.length ? `slower on ${slower.join(', ')}` : `all ${compared} faster`);
  }
  return lines;
}

function pad(s, n) {
  return s + ' '.repeat(Math.max(0, n - s.length));
}

function textTable(data, table) {
  const heads = ['', ...data.configs.map((c) => c.label)];
  const widths = heads.map((h, i) => Math.max(h.length, ...table
    .filter((r) => r.cells).map((r) => (i ? r.cells[i - 1].text : r.label).length)));
  const line = (cols) => cols.map((c, i) => pad(c, widths[i])).join('  ').trimEnd();
  const out = [line(heads)];
  for (const r of table) {
    out.push(r.section ? `-- ${r.section}` : line([r.label, ...r.cells.map((c) => c.text)]));
  }
  return out.join('\n');
}

function mdTable(data, table) {
  const out = [`| | ${data.configs.map((c) => c.label).join(' | ')} |`,
    `|---|${data.configs.map(() => '---:').join('|')}|`];
  for (const r of table) {
    out.push(r.section ? `| **${r.section}** |${data.configs.map(() => '').join('|')}|`
      : `| ${r.label} | ${r.cells.map((c) => c.text).join(' | ')} |`);
  }
  return out.join('\n');
}

function fastestOf(data) {
  const rounds = data.rounds || 1;
  const n = (data.repeat || 1) * rounds;
  if (n === 1) return '';
  return `, fastest of ${n}` + (rounds > 1 ? ` in ${rounds} rounds, the configurations' order rotated` : '');
}

function header(data) {
  const h = data.host;
  return [
    `QEMU wasm32 benchmark, ${data.started.replace('T', ' ').slice(0, 16)} UTC` +
      ` (${data.size} sizes${fastestOf(data)})`,
    `host: ${h.cpu}, ${h.cores} cores, Node.js ${h.node}, load average` +
      ` ${h.loadavg.join(' ')} at the start${h.loadavgEnd ? `, ${h.loadavgEnd.join(' ')} at the end` : ''}`,
    ...builds(data.builds),
  ];
}

function builds(b) {
  if (!b) return [];
  const one = (s) => (s ? `${s.file} (${s.mtime.replace('T', ' ').slice(0, 16)},` +
    ` ${(s.bytes / 1e6).toFixed(1)} MB)` : 'missing');
  return [`builds: wasm32 ${one(b.wasm)}, native ${one(b.native)}, v86 ${b.v86 || 'missing'}` +
    (b.b ? `, B ${one(b.b)}` : '')];
}

function legend(data) {
  const others = data.workloads.filter((w) => !w.cpu).map((w) => w.name);
  const b = data.configs.find((c) => c.name === 'b');
  return [
    'Wall time from sending the command to the prompt coming back, measured',
    'from the host; boot is from starting the emulator to the first prompt.',
    'Xn = X times native QEMU\'s time, Xv = X times v86\'s (below 1: faster).',
    ...(b ? [`Xd = X times the default column's. wasm32 B: ${b.command}`] : []),
    '"geomean CPU" is the geometric mean over the CPU-bound workloads',
    `(all but ${others.join(' and ')}). ! marks output that differs from`,
    'the reference.',
  ];
}

function fmtCount(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  return String(n);
}

// What the backend counted over each wasm32 session (wasm-stats=on):
// the work behind the times above, and numbers that do not vary from
// run to run the way the times do on a busy machine.
function countLines(data) {
  const counts = data.counts || [];
  if (!counts.length) return [];
  const label = (c) => `${c.arch} ${data.configs.find((x) => x.name === c.config)?.label || c.config}` +
    (c.round !== undefined ? ` #${c.round + 1}` : '');
  const heads = ['', 'blocks', '+regions', 'modules', 'by worker', 'wasm', 'compiling',
    'hops: trampoline', 'in modules', 'imported', 'entries', 'returns'];
  // A count the parser did not find is null: a dash.
  const cell = (n, fmt = String) => (n === null || n === undefined ? '-' : fmt(n));
  const rowsOut = counts.map((c) => [label(c), cell(c.compiled), cell(c.joined),
    cell(c.modules), cell(c.background), cell(c.kib, (n) => `${(n / 1024).toFixed(1)} MiB`),
    cell(c.compileMs, (n) => `${(n / 1000).toFixed(1)} s`),
    ...[c.hops, c.direct, c.imported, c.entries, c.returns].map((n) => cell(n, fmtCount))]);
  const widths = heads.map((h, i) => Math.max(h.length, ...rowsOut.map((r) => r[i].length)));
  const line = (cols) => '  ' + cols.map((c, i) => (i ? c.padStart(widths[i]) : pad(c, widths[i])))
    .join('  ');
  return ['', 'Backend counts (wasm-stats=on), over each session: boot, setup and all workloads:',
    line(heads), ...rowsOut.map(line),
    '  blocks: compiled (+regions: more compiled into their functions); modules: by',
    '  worker, compiled by a worker thread; compiling: time the vCPU thread spent',
    '  generating and compiling; hops: from block to block in compiled code,',
    '  through the trampoline, within a module, or into an earlier module',
    '  whose block it imports; entries from and returns to the interpreter.'];
}

// How far apart each column's rounds (and repeats) came: the slowest
// time over the fastest, for the boot and in the geometric mean of the
// CPU-bound workloads.  The machine's drift shows here, native QEMU's
// too, and the ratios between columns move with it.
function spreadLines(data) {
  const spread = (arch, config, workload) => {
    const r = result(data, arch, config, workload);
    return r && typeof r.seconds === 'number' && typeof r.slowest === 'number'
      ? r.slowest / r.seconds : null;
  };
  const out = [];
  for (const arch of data.arches) {
    for (const c of data.configs) {
      const boot = spread(arch, c.name, 'boot');
      const cpu = data.workloads.filter((w) => w.cpu)
        .map((w) => spread(arch, c.name, w.name)).filter((x) => x !== null);
      if (boot === null && !cpu.length) continue;
      out.push(`  ${pad(arch, 7)} ${pad(c.label, 20)} boot ` +
        `${boot === null ? '-' : fmtRatio(boot)}, CPU-bound ` +
        `${cpu.length ? fmtRatio(geomean(cpu)) : '-'}`);
    }
  }
  if (!out.length) return [];
  return ['', 'Spread: each time\'s slowest round or repeat over its fastest (geometric',
    'mean of the CPU-bound workloads):', ...out];
}

function details(data, notes, bad) {
  const out = [];
  if (notes.length) {
    out.push('', 'Notes:');
    notes.forEach((n, i) => out.push(`[${i + 1}] ${n}`));
  }
  const merged = data.configs.filter((c) => c.from);
  if (merged.length) {
    out.push('', 'Columns kept from an earlier run (BENCH_MERGE=1):');
    for (const c of merged) out.push(`  ${c.label}: run of ${c.from.replace('T', ' ').slice(0, 16)} UTC`);
  }
  out.push('', 'Workloads:');
  for (const w of data.workloads) out.push(`  ${pad(w.name, 7)} ${w.what}`);
  out.push(...countLines(data));
  out.push(...spreadLines(data));
  out.push('', 'Output check:');
  if (!bad.length) {
    out.push('  every configuration printed the same output for every workload');
  }
  for (const m of bad) {
    out.push(`  MISMATCH ${m.arch} ${m.workload} on ${m.config}` +
      (m.unstable ? ' (changed between repeats)' : '') +
      `: ${JSON.stringify(m.got)} vs ${m.ref}'s ${JSON.stringify(m.want)}`);
  }
  const agree = archAgreement(data);
  if (agree && (agree.same.length || agree.differ.length)) {
    out.push(`  ${data.arches.join(' and ')} guests print the same for: ` +
      `${agree.same.join(', ') || 'none'}` +
      (agree.differ.length ? `; differently for: ${agree.differ.join(', ')}` : ''));
  }
  out.push('', 'Targets (issue 3):', ...targets(data).map((l) => `  ${l}`));
  return out;
}

function escapeXml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// Horizontal bars, one group per guest and workload, one bar per
// configuration; seconds on a log scale so boot and a 1000x slower
// interpreter fit on one axis.  Hand-written: no charting library.
export function svgChart(data) {
  const left = 150, plotW = 540, barH = 11, gap = 10, top = 76;
  const ran = (c) => data.results.some((r) => r.config === c.name &&
    typeof r.seconds === 'number');
  const all = data.results.filter((r) => typeof r.seconds === 'number').map((r) => r.seconds);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all, 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all, 10))));
  const x = (s) => left + plotW * (Math.log10(s / lo) / Math.log10(hi / lo));
  const parts = [];
  let y = top;
  for (const arch of data.arches) {
    parts.push(`<text x="8" y="${y + 12}" font-weight="bold">${arch} guest</text>`);
    y += 20;
    for (const w of data.workloads) {
      const groupTop = y;
      for (const c of data.configs.filter((k) => !k.arches || k.arches.includes(arch))) {
        const s = seconds(data, arch, c.name, w.name);
        if (s !== null) {
          parts.push(`<rect x="${left}" y="${y}" width="${(x(s) - left).toFixed(1)}"` +
            ` height="${barH - 2}" fill="${COLORS[c.name] || '#888'}"/>`);
          const nat = c.name === 'native' ? null : seconds(data, arch, 'native', w.name);
          const label = fmtTime(s) + (nat ? ` (${fmtRatio(s / nat)}x native)` : '');
          parts.push(`<text x="${(x(s) + 4).toFixed(1)}" y="${y + barH - 3}"` +
            ` font-size="9">${escapeXml(label)}</text>`);
        } else {
          parts.push(`<text x="${left + 4}" y="${y + barH - 3}" font-size="9"` +
            ` fill="#999">${c.na[arch] ? 'n/a' : '-'}</text>`);
        }
        y += barH;
      }
      parts.push(`<text x="${left - 8}" y="${(groupTop + y) / 2 + 4}"` +
        ` text-anchor="end">${escapeXml(w.name)}</text>`);
      y += gap;
    }
  }
  // Decades of seconds as grid lines.
  const grid = [];
  for (let s = lo; s <= hi; s *= 10) {
    grid.push(`<line x1="${x(s).toFixed(1)}" y1="${top - 6}" x2="${x(s).toFixed(1)}"` +
      ` y2="${y}" stroke="#ddd"/>`);
    grid.push(`<text x="${x(s).toFixed(1)}" y="${y + 14}" font-size="10"` +
      ` text-anchor="middle">${s >= 1 ? s : s.toPrecision(1)} s</text>`);
  }
  // Labels advance by their length (about 6.5 px a character at 11 px).
  let lx = 8;
  const legendItems = data.configs.map((c) => {
    const label = `${c.label}${ran(c) ? '' : ' (n/a)'}`;
    const item = `<rect x="${lx}" y="44" width="10" height="10"` +
      ` fill="${COLORS[c.name] || '#888'}"/>` +
      `<text x="${lx + 14}" y="53" font-size="11">${escapeXml(label)}</text>`;
    lx += 14 + Math.ceil(label.length * 6.5) + 18;
    return item;
  });
  const width = Math.max(left + plotW + 110, lx);
  const height = y + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"` +
      ` font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="18" font-size="14" font-weight="bold">` +
      'Wall time per workload, log scale (shorter is faster)</text>',
    `<text x="8" y="34" font-size="11">${escapeXml(header(data)[0])}</text>`,
    ...legendItems, ...grid, ...parts, '</svg>', '',
  ].join('\n');
}

// Write report.txt, report.md and report.svg into `dir`; return the text.
export function writeReport(data, dir) {
  const notes = [];
  const bad = mismatches(data);
  const table = rows(data, notes, bad);
  const text = [...header(data), '', textTable(data, table), '',
    ...legend(data), ...details(data, notes, bad), ''].join('\n');
  const md = ['# QEMU wasm32 benchmark', '', ...header(data).map((l) => `${l}  `), '',
    mdTable(data, table), '', ...legend(data), '', '![chart](report.svg)', '',
    '```', ...details(data, notes, bad).filter((l, i) => i > 0 || l), '```', ''].join('\n');
  fs.writeFileSync(path.join(dir, 'report.txt'), text);
  fs.writeFileSync(path.join(dir, 'report.md'), md);
  fs.writeFileSync(path.join(dir, 'report.svg'), svgChart(data));
  return text;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const file = process.argv[2] || path.join(path.dirname(fileURLToPath(import.meta.url)),
    '..', 'build', 'bench', 'results.json');
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  process.stdout.write(writeReport(data, path.dirname(file)));
}
