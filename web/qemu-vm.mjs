// Run a QEMU system emulator built for WebAssembly in a web page.
//
//   import { startVm } from './qemu-vm.mjs';
//   const vm = startVm({ memory: '256M', kernel: 'vmlinux',
//     initrd: 'initramfs.cpio.gz', append: 'console=ttyS0' },
//     { element: document.querySelector('#terminal') });
//   vm.exited.then((status) => console.log('QEMU exited', status));
//
// startVm(config, io) returns at once; the VM downloads its files, starts
// QEMU and puts the guest's serial console either in a terminal made in
// io.element (xterm.js) or on the callbacks io.onOutput (bytes out) and
// vm.write() (bytes in).
//
// config:
//   target     'x86_64' (default): loads qemu/qemu-system-<target>.js
//   qemuUrl    another URL for that .js (its .wasm sits next to it)
//   memory     guest RAM, '256M', '1G' or a number of MiB (default 256M)
//   kernel, initrd, bios    a file: URL string, { url, size }, Blob,
//                           ArrayBuffer or typed array
//   append     the kernel command line
//   drives     [{ file, format: 'raw', if: 'virtio', readonly: true, ... }]
//              (other keys go to -drive as they are)
//   firmware   URLs of the firmware files QEMU loads (-L); default: the
//              site's firmware/ folder
//   args       more QEMU arguments, after the ones made from the above
//   sizes      { url: bytes } uncompressed sizes, for progress when the
//              server sends files gzip'd
// io:
//   element    put a terminal in this element, or
//   onOutput(bytes, fd)   receive the console output (Uint8Array; fd 1
//                         for the guest, 2 for QEMU's own messages)
//   onProgress(files)     [{ name, loaded, total }] while downloading
//   onStatus(text)        'loading', 'booting', 'running', 'exited'
//
// The vm object: write(stringOrBytes), stop(), terminal (element form),
// started (a promise: QEMU's main() is about to run, or the VM ended
// first), exited (a promise of QEMU's exit status, null after stop();
// rejected if the VM could not start or QEMU aborted).

const EAGAIN = 6;  // Emscripten's errno values are WASI's
const POLLIN = 1;
const POLLOUT = 4;
// wasm32 memory (4 GiB) holds QEMU, its translation buffer and guest RAM;
// QEMU allows a 32-bit host at most 2047 MiB of guest RAM.
const MAX_RAM_MIB = 2047;
// What qemu-system-x86_64's pc machine loads with -kernel and no NIC
// (the list scripts/web.sh puts in the site).
const DEFAULT_FIRMWARE = ['bios-256k.bin', 'vgabios-stdvga.bin',
  'kvmvapic.bin', 'linuxboot_dma.bin', 'linuxboot.bin', 'pvh.bin'];

export class VmError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'VmError';
    this.code = code;
  }
}

// Why this browser cannot run the VM, or null.  WebAssembly threads need
// SharedArrayBuffer, which browsers only give cross-origin isolated pages.
export function hostProblem() {
  if (typeof WebAssembly !== 'object' ||
      typeof WebAssembly.instantiate !== 'function') {
    return new VmError('no-wasm', 'This browser has no WebAssembly.');
  }
  if (globalThis.isSecureContext === false) {
    return new VmError('not-isolated',
      'This page was loaded over plain HTTP from another machine, so the ' +
      'browser does not isolate it and gives it no SharedArrayBuffer, which ' +
      'QEMU\'s threads need. Open it over HTTPS, or from localhost.');
  }
  if (!globalThis.crossOriginIsolated ||
      typeof SharedArrayBuffer !== 'function') {
    return new VmError('not-isolated',
      'This page is not cross-origin isolated, so the browser gives it no ' +
      'SharedArrayBuffer and QEMU cannot start its threads. Serve it with ' +
      'the headers "Cross-Origin-Opener-Policy: same-origin" and ' +
      '"Cross-Origin-Embedder-Policy: require-corp", as "make serve" in ' +
      'the QEMU wasm repository does.');
  }
  return null;
}

export function parseMemoryMiB(memory) {
  if (typeof memory === 'number') return memory;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(String(memory));
  if (!m) return NaN;
  const scale = { '': 1, k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 };
  return Number(m[1]) * scale[m[2].toLowerCase()];
}

// Quote a value for QEMU's key=value options.
function optValue(v) {
  return String(v).replaceAll(',', ',,');
}

function baseName(spec, fallback) {
  const url = typeof spec === 'string' ? spec : spec?.url;
  if (!url) return spec?.name || fallback;
  const name = new URL(url, document.baseURI).pathname.split('/').pop();
  return name || fallback;
}

// The files to put in Emscripten's file system and QEMU's arguments for
// them, from the config.
export function plan(config, moduleUrl = import.meta.url) {
  const files = [];
  // Each file under its own name; two different files that share a
  // name (two drives called disk.img) get a number in front.
  const add = (spec, dir, fallback) => {
    const name = baseName(spec, fallback);
    let fsPath = `${dir}/${name}`;
    const same = files.find((f) => f.fsPath === fsPath);
    if (same && same.spec === spec) return fsPath;
    if (same) fsPath = `${dir}/${files.length}-${name}`;
    files.push({ name, fsPath, spec });
    return fsPath;
  };

  const mib = Math.round(parseMemoryMiB(config.memory ?? '256M'));
  if (!(mib > 0)) throw new VmError('config', `Bad memory size '${config.memory}'.`);
  if (mib > MAX_RAM_MIB) {
    throw new VmError('config', `${config.memory} is too much RAM for ` +
      `wasm32 (at most ${MAX_RAM_MIB} MiB).`);
  }

  const args = ['-nographic', '-nic', 'none', '-m', `${mib}M`, '-no-reboot'];
  const firmware = config.firmware ??
    DEFAULT_FIRMWARE.map((f) => new URL(`firmware/${f}`, moduleUrl).href);
  if (firmware.length) {
    for (const f of firmware) add(f, '/firmware', 'firmware.bin');
    args.push('-L', '/firmware');
  }
  if (config.bios) args.push('-bios', add(config.bios, '/guest', 'bios.bin'));
  if (config.kernel) args.push('-kernel', add(config.kernel, '/guest', 'kernel'));
  if (config.initrd) args.push('-initrd', add(config.initrd, '/guest', 'initrd'));
  if (config.append) args.push('-append', config.append);
  (config.drives || []).forEach((d, i) => {
    const { file, ...opts } = d;
    const fsPath = add(file, '/drives', `drive${i}.img`);
    const kv = { format: 'raw', if: 'virtio', ...opts };
    args.push('-drive', [`file=${optValue(fsPath)}`, ...Object.entries(kv)
      .map(([k, v]) => `${k}=${optValue(v === true ? 'on' : v === false ? 'off' : v)}`)]
      .join(','));
  });
  args.push(...(config.args || []));

  const target = config.target || 'x86_64';
  if (!/^[\w-]+$/.test(target)) throw new VmError('config', `Bad target '${target}'.`);
  const jsUrl = new URL(config.qemuUrl ||
    new URL(`qemu/qemu-system-${target}.js`, moduleUrl), document.baseURI).href;
  return { args, files, jsUrl, prog: `qemu-system-${target}` };
}

// Fetch url; its body as a stream that reports bytes as they arrive.
// With Content-Encoding the Content-Length is the compressed size, so a
// size known beforehand wins.
async function counted(url, size, progress, signal) {
  let res;
  try {
    res = await fetch(url, { credentials: 'same-origin', signal });
  } catch (e) {
    throw new VmError('load', `Could not load ${url}: ${e.message}`);
  }
  if (!res.ok) {
    throw new VmError('load', `Could not load ${url}: HTTP ${res.status} ` +
      `${res.statusText}`.trim());
  }
  const length = Number(res.headers.get('Content-Length'));
  const total = size ?? (res.headers.get('Content-Encoding') ? null
    : (length || null));
  let loaded = 0;
  progress(0, total);
  return res.body.pipeThrough(new TransformStream({
    transform(chunk, out) {
      loaded += chunk.length;
      progress(loaded, total);
      out.enqueue(chunk);
    },
    flush() {
      progress(loaded, loaded);
    },
  }));
}

async function download(url, size, progress, signal) {
  const body = await counted(url, size, progress, signal);
  try {
    return new Uint8Array(await new Response(body).arrayBuffer());
  } catch (e) {
    throw new VmError('load', `Could not load ${url}: ${e.message}`);
  }
}

// Compile QEMU's wasm while it downloads (streaming compilation wants the
// application/wasm type, which a Response made here can promise).  Such a
// Response gets no code cache in Chromium; the fetch's own would, and a
// second visit booted no faster with it (bench/MEASUREMENTS.md).
async function compileWasm(url, size, progress, signal) {
  const body = await counted(url, size, progress, signal);
  try {
    return await WebAssembly.compileStreaming(new Response(body,
      { headers: { 'Content-Type': 'application/wasm' } }));
  } catch (e) {
    throw new VmError('load', `Could not load ${url}: ${e.message}`);
  }
}

async function fileBytes(spec, sizes, progress, signal) {
  let bytes;
  if (spec instanceof Blob) bytes = new Uint8Array(await spec.arrayBuffer());
  else if (spec instanceof ArrayBuffer) bytes = new Uint8Array(spec);
  else if (ArrayBuffer.isView(spec)) {
    bytes = new Uint8Array(spec.buffer, spec.byteOffset, spec.byteLength);
  } else {
    const url = new URL(typeof spec === 'string' ? spec : spec.url,
      document.baseURI).href;
    return download(url, spec.size ?? sizes[url], progress, signal);
  }
  progress(bytes.length, bytes.length);
  return bytes;
}

// The serial console as Emscripten streams on fds 0, 1 and 2.  Reads and
// polls come from QEMU's main loop in a worker, proxied to this thread;
// they must never block here, so an empty input says EAGAIN and poll()
// tells the truth.
function makeConsole(FS, output) {
  const queue = [];  // Uint8Arrays not yet read
  const stdin = {
    read(stream, buffer, offset, length) {
      if (queue.length === 0) throw new FS.ErrnoError(EAGAIN);
      let n = 0;
      while (n < length && queue.length) {
        const head = queue[0];
        const take = Math.min(length - n, head.length);
        buffer.set(head.subarray(0, take), offset + n);
        n += take;
        if (take === head.length) queue.shift();
        else queue[0] = head.subarray(take);
      }
      return n;
    },
    poll() {
      return queue.length ? POLLIN : 0;
    },
  };
  const writer = (fd) => ({
    write(stream, buffer, offset, length) {
      // A copy: the heap is shared memory, which decoders refuse.
      output(Uint8Array.from(buffer.subarray(offset, offset + length)), fd);
      return length;
    },
    poll() {
      return POLLOUT;
    },
  });
  for (const [fd, ops] of [[0, stdin], [1, writer(1)], [2, writer(2)]]) {
    const stream = FS.getStream(fd);
    if (stream) stream.stream_ops = { ...stream.stream_ops, ...ops };
  }
  return (bytes) => queue.push(bytes);
}

// Bytes of an ArrayBuffer or any typed array.
function asBytes(data) {
  return data instanceof ArrayBuffer ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

// QEMU's exit() runs in a worker and reaches this thread as a proxied
// call that throws Emscripten's ExitStatus, which the runtime swallows
// (the runtime stays alive for the threads).  Catch it on the way.
function watchExit(imports, onExit) {
  const name = '_emscripten_receive_on_main_thread_js';
  const original = imports.env?.[name];
  if (typeof original !== 'function') return;
  const wrapped = (...args) => {
    try {
      return original(...args);
    } catch (e) {
      if (e && e.name === 'ExitStatus') onExit(e.status);
      throw e;
    }
  };
  imports.env[name] = wrapped;
  if (imports.wasi_snapshot_preview1 && imports.wasi_snapshot_preview1 !== imports.env) {
    imports.wasi_snapshot_preview1[name] = wrapped;
  }
}

async function importOrFail(url) {
  try {
    return await import(url);
  } catch (e) {
    throw new VmError('load', `Could not load ${url}: ${e.message}`);
  }
}

// The CPU the browser runs on, as the wasm32 TCG backend wants it in
// QEMU_WASM32_HOST_CPU: 'x86' spares an x86 guest's ordinary memory
// accesses their barriers.  Only Chromium says (asynchronously); anywhere
// else the CPU stays unknown and the barriers stay.
async function hostCpu() {
  try {
    const ua = await navigator.userAgentData?.getHighEntropyValues(['architecture']);
    return ua?.architecture || '';
  } catch {
    return '';
  }
}

async function makeTerminal(element, moduleUrl) {
  const [{ Terminal }, { FitAddon }] = await Promise.all([
    importOrFail(new URL('xterm/xterm.mjs', moduleUrl).href),
    importOrFail(new URL('xterm/addon-fit.mjs', moduleUrl).href),
  ]);
  if (!document.querySelector('link[data-xterm-css]')) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = new URL('xterm/xterm.css', moduleUrl).href;
    link.dataset.xtermCss = '';
    document.head.append(link);
  }
  const term = new Terminal({
    cursorBlink: true,
    scrollback: 10000,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    fontSize: 15,
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(element);
  // Keep the terminal filling its element as the page is resized.  The
  // serial line cannot tell the guest, which assumes 80 columns unless
  // told otherwise (stty cols N).
  const refit = () => {
    try {
      fit.fit();
    } catch {
      // Not laid out (hidden): the next resize fits it.
    }
  };
  const observer = new ResizeObserver(refit);
  observer.observe(element);
  refit();
  term.focus();
  return { term, dispose: () => observer.disconnect() };
}

class Vm {
  constructor(config, io) {
    this.config = config;
    this.io = io;
    this.terminal = null;
    this.state = 'loading';
    this.pendingInput = [];
    this.sendInput = null;
    this.module = null;
    this.encoder = new TextEncoder();
    this.downloads = new AbortController();
    this.started = new Promise((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    this.exited = new Promise((resolve, reject) => {
      this.resolveExited = resolve;
      this.rejectExited = reject;
    });
    // Callers may await only one of the two.
    this.started.catch(() => {});
    this.exited.catch(() => {});
    this.run().catch((e) => this.fail(e));
  }

  status(text) {
    this.state = text;
    this.io.onStatus?.(text);
  }

  output(bytes, fd) {
    if (this.state === 'booting') this.status('running');
    if (this.terminal) this.terminal.write(bytes);
    this.io.onOutput?.(bytes, fd);
  }

  // Console input: a string (sent as UTF-8) or bytes.  Ctrl-C is "\x03".
  write(data) {
    const bytes = typeof data === 'string' ? this.encoder.encode(data)
      : asBytes(data).slice();
    if (!bytes.length) return;
    if (this.sendInput) this.sendInput(bytes);
    else this.pendingInput.push(bytes);
  }

  // Stop QEMU at once: its threads are terminated, no shutdown is run.
  stop() {
    this.finish(null);
  }

  finish(status) {
    if (this.state === 'exited' || this.state === 'failed') return;
    this.status('exited');
    this.terminateThreads();
    this.resolveStarted();
    this.resolveExited(status);
  }

  fail(error) {
    if (this.state === 'exited' || this.state === 'failed') return;
    this.status('failed');
    this.terminateThreads();
    const e = error instanceof Error ? error : new VmError('qemu', String(error));
    this.rejectStarted(e);
    this.rejectExited(e);
  }

  // Called from inside the runtime (the exit arrives in a proxied call),
  // so leave the workers be until that call has unwound.
  terminateThreads() {
    this.downloads.abort();
    setTimeout(() => {
      try {
        this.module?.PThread?.terminateAllThreads();
      } catch {
        // Already gone.
      }
    }, 0);
  }

  async run() {
    const problem = hostProblem();
    if (problem) throw problem;
    const moduleUrl = this.io.moduleUrl || import.meta.url;
    const { args, files, jsUrl, prog } = plan(this.config, moduleUrl);
    const sizes = {};
    for (const [url, n] of Object.entries(this.config.sizes || {})) {
      sizes[new URL(url, document.baseURI).href] = n;
    }

    // Progress rows: QEMU's wasm first, then the guest's files.
    const wasmUrl = new URL(`${prog}.wasm`, jsUrl).href;
    const rows = [{ name: `${prog}.wasm`, loaded: 0, total: sizes[wasmUrl] ?? null },
      ...files.map((f) => ({ name: f.name, loaded: 0, total: null }))];
    // At most ten reports a second: chunks arrive every few KiB.
    let lastReport = 0;
    const report = (force) => {
      const now = performance.now();
      if (!force && now - lastReport < 100) return;
      lastReport = now;
      this.io.onProgress?.(rows.map((r) => ({ ...r })));
    };
    const progressOf = (row) => (loaded, total) => {
      row.loaded = loaded;
      row.total = total;
      report(loaded === total);
    };
    report(true);
    this.status('loading');

    // All downloads start now, QEMU's wasm compiling as it arrives, and
    // run alongside the terminal's and QEMU's own start-up.
    const { signal } = this.downloads;
    const wasm = compileWasm(wasmUrl, sizes[wasmUrl], progressOf(rows[0]), signal);
    const contents = Promise.all(files.map((f, i) =>
      fileBytes(f.spec, sizes, progressOf(rows[i + 1]), signal)));
    wasm.catch((e) => this.fail(e));
    contents.catch((e) => this.fail(e));

    if (this.io.element) {
      const { term } = await makeTerminal(this.io.element, moduleUrl);
      this.terminal = term;
      term.onData((s) => this.write(s));
      term.onBinary((s) => this.write(Uint8Array.from(s, (c) => c.charCodeAt(0))));
    }

    const { default: createQemu } = await importOrFail(jsUrl);
    const cpu = await hostCpu();
    if (this.state !== 'loading') return;

    const Module = {
      arguments: args,
      thisProgram: prog,
      noExitRuntime: true,
      instantiateWasm: (imports, receive) => {
        watchExit(imports, (status) => this.finish(status));
        wasm.then(async (module) => {
          receive(await WebAssembly.instantiate(module, imports), module);
        }).catch((e) => this.fail(e instanceof VmError ? e
          : new VmError('load', `Could not start ${wasmUrl}: ${e.message}`)));
        return {};
      },
      preRun: [(m) => {
        if (cpu) m.ENV.QEMU_WASM32_HOST_CPU = cpu;
        // Hold main() back until the files are in the file system.
        m.addRunDependency('qemu-vm-files');
        contents.then((all) => {
          files.forEach((f, i) => {
            m.FS.mkdirTree(f.fsPath.slice(0, f.fsPath.lastIndexOf('/')));
            m.FS.writeFile(f.fsPath, all[i], { canOwn: true });
          });
          m.removeRunDependency('qemu-vm-files');
        }, () => {});
      }],
      onRuntimeInitialized: () => {
        this.sendInput = makeConsole(Module.FS, (b, fd) => this.output(b, fd));
        for (const b of this.pendingInput.splice(0)) this.sendInput(b);
        this.status('booting');
        this.resolveStarted();
      },
      print: (line) => this.output(this.encoder.encode(`${line}\r\n`), 1),
      printErr: (line) => this.output(this.encoder.encode(`${line}\r\n`), 2),
      onAbort: (what) => this.fail(new VmError('abort', `QEMU aborted: ${what}`)),
      onExit: (status) => this.finish(status),
    };
    this.module = Module;
    await createQemu(Module);
  }
}

export function startVm(config, io = {}) {
  return new Vm(config, io);
}
