// Boot a Linux kernel on v86 (npm `v86`) under Node.js with its first
// serial port on this process's stdin/stdout, the way `qemu -nographic`
// does, so that the benchmark drives v86 and QEMU through the same pipes
// and times them alike.
//
//   node bench/v86-run.mjs --bios FILE --vga-bios FILE --kernel BZIMAGE
//       --initrd FILE --append CMDLINE [--mem MIB] [--no-jit]
//
// v86 has no way to power the machine off that this guest uses (no ACPI
// by default), so the caller ends the process; stdin's end ends it too.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { V86 } from 'v86';
import {
  compileBlocksEagerly, raiseTieringBudget,
} from '../node/v8-flags.mjs';

function parseArgs(argv) {
  const opts = { mem: 256, jit: true };
  const takes = {
    '--bios': 'bios', '--vga-bios': 'vgaBios', '--kernel': 'kernel',
    '--initrd': 'initrd', '--append': 'append', '--mem': 'mem',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-jit') {
      opts.jit = false;
    } else if (takes[a] && i + 1 < argv.length) {
      opts[takes[a]] = argv[++i];
    } else {
      throw new Error(`unknown or incomplete argument ${a}`);
    }
  }
  for (const need of ['bios', 'vgaBios', 'kernel', 'initrd']) {
    if (!opts[need]) throw new Error(`--${need.replace('B', '-b')} is required`);
  }
  return opts;
}

// v86 takes images as ArrayBuffers; a Node Buffer may be a view into a
// larger pool, so copy out exactly its bytes.
function image(file) {
  const b = fs.readFileSync(file);
  return { buffer: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) };
}

// The ES module build cannot find its .wasm by itself (no __dirname).
// require.resolve rather than import.meta.resolve, which Node 18 lacks.
function wasmPath() {
  const lib = createRequire(import.meta.url).resolve('v86');
  return path.join(path.dirname(lib), 'v86.wasm');
}

// Guest output arrives a byte at a time; batch it per event-loop turn
// rather than making one write() per byte.
function serialToStdout(emulator) {
  let pending = [];
  emulator.add_listener('serial0-output-byte', (byte) => {
    if (pending.length === 0) {
      setImmediate(() => {
        const out = Buffer.from(pending);
        pending = [];
        process.stdout.write(out);
      });
    }
    pending.push(byte);
  });
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`v86-run: ${e.message}\n`);
    process.exit(2);
  }
  const emulator = new V86({
    wasm_path: wasmPath(),
    memory_size: Number(opts.mem) * 1024 * 1024,
    bios: image(opts.bios),
    vga_bios: image(opts.vgaBios),
    bzimage: image(opts.kernel),
    initrd: image(opts.initrd),
    cmdline: opts.append || '',
    disable_jit: !opts.jit,
    autostart: true,
  });
  // The V8 settings QEMU's launcher uses, as both compile wasm at run
  // time, set as it sets them: once the emulator's own module is
  // compiled.
  emulator.add_listener('emulator-loaded', () => {
    compileBlocksEagerly();
    raiseTieringBudget();
  });
  serialToStdout(emulator);
  process.stdin.on('data', (buf) => emulator.serial_send_bytes(0, buf));
  process.stdin.on('end', () => {
    emulator.destroy().finally(() => process.exit(0));
  });
}

main();
