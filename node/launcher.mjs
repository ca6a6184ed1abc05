// Run a QEMU system emulator built for WebAssembly under Node.js so that
// it behaves like the native binary: same arguments, host files reachable
// at their own paths, the console on stdin/stdout, QEMU's exit status.
//
//   node launcher.mjs qemu-system-x86_64 [QEMU arguments...]

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkArgs, UsageError } from './args.mjs';
import {
  compileBlocksEagerly, raiseTieringBudget, readBranchHints, validateLazily,
} from './v8-flags.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EAGAIN = 6;  // Emscripten's errno values are WASI's
const EPIPE = 64;
const POLLIN = 1;
const POLLOUT = 4;
const POLLERR = 8;
const POLLHUP = 16;

function fail(prog, msg) {
  process.stderr.write(`${prog}: ${msg}\n`);
  process.exit(1);
}

// Host folders mounted at their own paths, so that paths in arguments
// need no rewriting.  Emscripten's /dev and /proc stay its own.
function mountHost(FS, NODEFS) {
  for (const name of fs.readdirSync('/')) {
    if (['dev', 'proc', 'sys'].includes(name)) continue;
    let st;
    try {
      st = fs.statSync('/' + name);
    } catch {
      continue;
    }
    if (!st.isDirectory()) continue;
    try {
      FS.mkdir('/' + name);
    } catch {
      // Already there (/tmp, /home): mount over it.
    }
    FS.mount(NODEFS, { root: '/' + name }, '/' + name);
  }
  FS.chdir(process.cwd());
}

// The serial console goes straight to the host's stdio.  Emscripten's
// default streams buffer output by line (a shell prompt would not show)
// and read stdin synchronously, blocking the thread that serves every
// proxied system call; these never block and poll() tells the truth.
function makeConsole(FS) {
  const input = [];
  let eof = false;

  process.stdin.on('data', (buf) => {
    for (const b of buf) input.push(b);
  });
  process.stdin.on('end', () => { eof = true; });

  const stdinOps = {
    read(stream, buffer, offset, length) {
      if (input.length === 0) {
        if (eof) return 0;
        throw new FS.ErrnoError(EAGAIN);
      }
      const n = Math.min(length, input.length);
      for (let i = 0; i < n; i++) buffer[offset + i] = input.shift();
      return n;
    },
    poll() {
      return (input.length ? POLLIN : 0) | (eof ? POLLIN | POLLHUP : 0);
    },
  };
  // A reader that went away (`| head`) is EPIPE for QEMU, which ignores
  // SIGPIPE, as on a native host.
  const writer = (out) => {
    let broken = false;
    out.on('error', (e) => {
      if (e.code !== 'EPIPE') throw e;
      broken = true;
    });
    return {
      write(stream, buffer, offset, length) {
        if (broken) throw new FS.ErrnoError(EPIPE);
        out.write(Buffer.from(buffer.slice(offset, offset + length)));
        return length;
      },
      poll() {
        return broken ? POLLOUT | POLLERR : POLLOUT;
      },
    };
  };

  for (const [fd, ops] of [[0, stdinOps], [1, writer(process.stdout)],
    [2, writer(process.stderr)]]) {
    const stream = FS.getStream(fd);
    if (stream) stream.stream_ops = { ...stream.stream_ops, ...ops };
  }
}

export async function run(prog, argv) {
  let info;
  try {
    info = checkArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) fail(prog, e.message);
    throw e;
  }

  const buildDir = process.env.QEMU_WASM_BUILD ||
    path.join(HERE, '..', 'build', 'qemu');
  const js = path.join(buildDir, `${prog}.js`);
  if (!fs.existsSync(js)) {
    fail(prog, `${js} not found: build it first ('make build')`);
  }

  const raw = process.stdin.isTTY && (info.nographic || info.serialStdio);
  const restore = () => {
    if (raw) process.stdin.setRawMode(false);
  };
  if (raw) process.stdin.setRawMode(true);

  const finish = (status) => {
    restore();
    // Let queued console output reach the terminal before leaving.
    process.stdout.write('', () => process.exit(status));
  };

  // QEMU's own variables (debugging aids such as QEMU_WASM32_DUMP) reach
  // it; Emscripten gives programs a fixed environment otherwise.  The
  // wasm32 TCG backend learns the host CPU from QEMU_WASM32_HOST_CPU: on
  // x86 the guest's ordinary memory accesses need no barriers.
  const passEnvironment = (env) => {
    env.QEMU_WASM32_HOST_CPU =
      ['x64', 'ia32'].includes(process.arch) ? 'x86' : process.arch;
    for (const [k, v] of Object.entries(process.env)) {
      if (k.startsWith('QEMU_') && !k.startsWith('QEMU_WASM_')) env[k] = v;
    }
  };

  readBranchHints();
  validateLazily(true);
  const { default: createQemu } = await import(pathToFileURL(js).href);
  const Module = {
    arguments: argv,
    // Leave exit() to the watch below: Emscripten's runtime exit would
    // run QEMU's atexit handlers on Node's main thread, where they block.
    noExitRuntime: true,
    thisProgram: prog,
    // Called once QEMU's module is compiled and instantiated on this
    // thread, before the pool of workers instantiates it too (Emscripten
    // starts main() after that).
    preRun: [(m) => {
      compileBlocksEagerly();
      validateLazily(false);
      raiseTieringBudget();
      mountHost(m.FS, m.NODEFS);
      passEnvironment(m.ENV);
    }],
    onRuntimeInitialized() {
      makeConsole(Module.FS);
    },
    print: (line) => process.stdout.write(line + '\n'),
    printErr: (line) => process.stderr.write(line + '\n'),
    onAbort: (what) => {
      restore();
      process.stderr.write(`${prog}: aborted: ${what}\n`);
      process.exit(134);
    },
  };
  await createQemu(Module);

  // main() runs in a pthread (PROXY_TO_PTHREAD): starting it already
  // "exited" the main thread with status 0.  QEMU's exit() later reaches
  // Node only as process.exitCode, set by Emscripten while its workers
  // keep Node alive, so watch for that.
  process.exitCode = undefined;
  const exitWatch = setInterval(() => {
    if (process.exitCode !== undefined) {
      clearInterval(exitWatch);
      finish(process.exitCode);
    }
  }, 20);
}

if (process.argv[1] && fileURLToPath(import.meta.url) ===
    fs.realpathSync(process.argv[1])) {
  const [prog, ...argv] = process.argv.slice(2);
  run(prog, argv).catch((e) => fail(prog, e.message || String(e)));
}
