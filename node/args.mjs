// Checks on QEMU command-line arguments that the wasm build cannot make
// well itself: a missing file would surface as an Emscripten FS error and
// too much RAM as an out-of-memory abort deep inside the wasm.  Each check
// fails with one line in QEMU's own style.

import fs from 'node:fs';

// wasm32 linear memory is at most 4 GiB and holds QEMU itself, its
// translation buffer and the guest RAM; QEMU allows a 32-bit host at
// most 2047 MiB of guest RAM (hw/core/machine.c).
export const MAX_GUEST_RAM_MIB = 2047;

// Options whose value is a host file that must be readable.
const FILE_OPTIONS = new Set([
  '-kernel', '-initrd', '-bios', '-dtb', '-hda', '-hdb', '-hdc', '-hdd',
  '-cdrom', '-fda', '-fdb', '-pflash', '-mtdblock', '-sd',
]);
// Options whose value is a host directory.
const DIR_OPTIONS = new Set(['-L']);
// Keys that name a host file inside key=value options such as -drive.
const FILE_KEYS = new Set(['file', 'filename']);
const DIR_KEYS = new Set(['path']);

export class UsageError extends Error {}

// Split QEMU's "a=b,c=d" syntax, where ",," stands for a literal comma.
export function splitKeyValues(text) {
  const parts = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ',' && text[i + 1] === ',') {
      cur += ',';
      i++;
    } else if (text[i] === ',') {
      parts.push(cur);
      cur = '';
    } else {
      cur += text[i];
    }
  }
  parts.push(cur);
  return parts.map((p) => {
    const eq = p.indexOf('=');
    return eq < 0 ? [p, undefined] : [p.slice(0, eq), p.slice(eq + 1)];
  });
}

// Parse -m's value ("512", "512M", "2G", "size=1G,slots=2") to MiB.
export function parseRamMiB(text) {
  let size = text;
  for (const [k, v] of splitKeyValues(text)) {
    if (k === 'size' && v !== undefined) size = v;
    else if (v === undefined) size = k;
  }
  const m = /^(\d+(?:\.\d+)?)([kmgt]?)b?$/i.exec(size.trim());
  if (!m) return NaN;
  const scale = { '': 1, k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 };
  return Number(m[1]) * scale[m[2].toLowerCase()];
}

function checkFile(opt, file) {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    if (fs.statSync(file).isDirectory()) {
      throw new UsageError(`${opt} ${file}: Is a directory`);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const why = e.code === 'ENOENT' ? 'No such file or directory'
      : e.code === 'EACCES' ? 'Permission denied' : e.message;
    throw new UsageError(`${opt} ${file}: ${why}`);
  }
}

function checkDir(opt, dir) {
  let st;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    throw new UsageError(`${opt} ${dir}: No such file or directory`);
  }
  if (!st.isDirectory()) {
    throw new UsageError(`${opt} ${dir}: Not a directory`);
  }
}

// Validate argv; returns a summary the launcher needs.  Throws UsageError.
export function checkArgs(argv) {
  const info = { ramMiB: 128, nographic: false, serialStdio: false };
  for (let i = 0; i < argv.length; i++) {
    const opt = argv[i].replace(/^--/, '-');
    const val = argv[i + 1];
    const needsValue = FILE_OPTIONS.has(opt) || DIR_OPTIONS.has(opt) ||
      ['-m', '-drive', '-blockdev', '-fsdev', '-virtfs'].includes(opt);
    if (needsValue && val === undefined) {
      throw new UsageError(`${argv[i]}: requires an argument`);
    }
    if (FILE_OPTIONS.has(opt)) {
      checkFile(argv[i], val);
    } else if (DIR_OPTIONS.has(opt)) {
      checkDir(argv[i], val);
    } else if (opt === '-m') {
      const mib = parseRamMiB(val);
      if (!(mib > 0)) throw new UsageError(`-m ${val}: invalid RAM size`);
      if (mib > MAX_GUEST_RAM_MIB) {
        throw new UsageError(`-m ${val}: too much RAM for wasm32 ` +
          `(at most ${MAX_GUEST_RAM_MIB} MiB)`);
      }
      info.ramMiB = mib;
    } else if (['-drive', '-blockdev', '-fsdev', '-virtfs'].includes(opt)) {
      for (const [k, v] of splitKeyValues(val)) {
        if (v === undefined || v === '') continue;
        if (FILE_KEYS.has(k)) checkFile(`${argv[i]} ${k}=`, v);
        if (DIR_KEYS.has(k)) checkDir(`${argv[i]} ${k}=`, v);
      }
    } else if (opt === '-nographic') {
      info.nographic = true;
      continue;
    } else if (opt === '-serial' && /^(stdio|mon:stdio)$/.test(val)) {
      info.serialStdio = true;
    } else {
      continue;
    }
    i++;
  }
  return info;
}
