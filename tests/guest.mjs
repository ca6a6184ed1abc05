// Drive a guest over its serial console: start QEMU with the console on
// stdio, wait for the shell prompt, type commands and read their output.

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = process.env.QEMU_WASM_OUT || path.join(TOP, 'build');
export const GUEST = path.join(OUT, 'guest');
export const WASM_QEMU = path.join(TOP, 'bin', 'qemu-system-x86_64');
export const NATIVE_QEMU = path.join(OUT, 'native', 'qemu-system-x86_64');
// Busybox's line editor asks the terminal for the cursor position
// (ESC [ 6 n) right after printing the prompt.
export const PROMPT = /root@guest:[^\n]*# (?:\x1b\[6n)?$/;

// Minutes, not seconds: the interpreter boots Linux far slower than
// native TCG, and CI machines vary.  A hang still ends the test.
export const BOOT_TIMEOUT_MS = Number(process.env.BOOT_TIMEOUT_S || 900) * 1000;

// The initrds' folders, removed when the test file's process ends.
const initrdDirs = [];
process.on('exit', () => {
  for (const dir of initrdDirs) fs.rmSync(dir, { recursive: true, force: true });
});

// An initrd with extra files on top of the demo guest's initramfs.
export function initrdWith(files) {
  // Under $OUT: the native reference runs in the toolchain chroot, which
  // sees the repository and the output folder but not /tmp.
  fs.mkdirSync(path.join(OUT, 'tmp'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(OUT, 'tmp', 'initrd-'));
  initrdDirs.push(dir);
  const extra = path.join(dir, 'extra.cpio.gz');
  execFileSync(path.join(TOP, 'scripts', 'guest.sh'),
    ['extra-cpio', extra, ...files.map(([src, dst]) => `${src}:${dst}`)]);
  const initrd = path.join(dir, 'initrd.cpio.gz');
  fs.writeFileSync(initrd, Buffer.concat([
    fs.readFileSync(path.join(GUEST, 'initramfs.cpio.gz')),
    fs.readFileSync(extra)]));
  return initrd;
}

// The uncompressed kernel boots through PVH and skips the decompression
// that takes most of a bzImage boot under emulation.
export function kernel() {
  const vmlinux = path.join(GUEST, 'vmlinux');
  return fs.existsSync(vmlinux) ? vmlinux : path.join(GUEST, 'bzImage');
}

// A shell script at @file that starts Node.js @node with @flags before
// the arguments it is given: a QEMU_WASM_NODE for QEMU under those V8
// flags.  Returns @file.
export function nodeWithFlags(file, node, flags) {
  const quote = (word) => `'${word.replace(/'/g, "'\\''")}'`;
  fs.writeFileSync(file, '#!/bin/sh\n' +
    `exec ${[node, ...flags].map(quote).join(' ')} "$@"\n`, { mode: 0o755 });
  return file;
}

export function guestArgs({ initrd, append = '', mem = '256M' } = {}) {
  const cmdline = fs.readFileSync(path.join(GUEST, 'cmdline'), 'utf8').trim();
  return ['-nographic', '-nic', 'none', '-m', mem, '-no-reboot',
    '-L', path.join(GUEST, 'firmware'),
    '-kernel', kernel(),
    '-initrd', initrd || path.join(GUEST, 'initramfs.cpio.gz'),
    '-append', `${cmdline} ${append}`.trim()];
}

// A guest's serial console as its output arrives, and waiting for text
// in it: the emulator behind it is a subclass's, which appends to
// `output`, calls wake() and, once the emulator is gone, sets `exited`
// and says why in exitMessage().
export class SerialConsole {
  constructor() {
    this.output = '';
    this.waiters = [];
    this.seq = 0;
    this.exited = null;
  }

  wake() {
    for (const w of [...this.waiters]) w();
  }

  // Resolve with the regex match once the output (from `from` on) has it.
  waitFor(re, timeoutMs, from = 0) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = re.exec(this.output.slice(from));
        if (m) {
          done();
          resolve({ match: m, end: from + m.index + m[0].length });
        } else if (this.exited) {
          done();
          reject(new Error(`${this.exitMessage(re)}\n` +
            `last output: ${this.output.slice(-2000)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        const e = new Error(`timed out after ${timeoutMs} ms waiting for ` +
          `${re}; last output: ${this.output.slice(-2000)}`);
        e.timedOut = true;
        reject(e);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
      check();
    });
  }
}

export class Guest extends SerialConsole {
  constructor(binary, args, env = {}) {
    super();
    this.proc = spawn(binary, args, {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.stderr = '';
    this.proc.stdout.on('data', (d) => {
      this.output += d.toString('latin1');
      this.wake();
    });
    this.proc.stderr.on('data', (d) => { this.stderr += d.toString(); });
    // 'close' comes once QEMU has exited and its output is all read.
    this.exit = new Promise((resolve) => {
      this.proc.on('close', (code, signal) => {
        this.exited = { code, signal };
        this.wake();
        resolve(code ?? 128);
      });
    });
  }

  exitMessage(re) {
    return `QEMU exited (${JSON.stringify(this.exited)}) before ${re}; ` +
      `stderr: ${this.stderr.trim()}`;
  }

  send(text) {
    this.proc.stdin.write(text);
  }

  // Run a shell command and return what it printed, trimmed.  The
  // markers are split in the typed line so that its echo cannot match.
  // Once a command has timed out, the guest is taken as hung: later
  // commands fail at once instead of each waiting out its own timeout.
  async run(cmd, timeoutMs = 120000) {
    if (this.hung) {
      throw new Error(`the guest has not answered since it was given ` +
        `'${this.hung}'`);
    }
    const n = ++this.seq;
    const from = this.output.length;
    this.send(`echo "@@""B${n}"; ${cmd}; echo "@@""E${n}"\n`);
    const re = new RegExp(`\\r?\\n@@B${n}\\r?\\n([\\s\\S]*?)@@E${n}\\r?\\n`);
    try {
      const { match } = await this.waitFor(re, timeoutMs, from);
      return match[1].replace(/\r/g, '').trim();
    } catch (e) {
      if (!e.timedOut) throw e;
      this.hung = cmd;
      e.message += `\nwhere the CPU was, a second apart:\n${await this.cpuState()}`;
      throw e;
    }
  }

  // The CPU's registers from QEMU's monitor, which -nographic multiplexes
  // on the console (Ctrl-a c switches between them): taken twice, so that
  // a guest that spins shows other values than a CPU that is stuck.
  async cpuState() {
    const KEY = /^(?:R[A-Z0-9]{1,2} ?=|CR0=)/;
    const states = [];
    for (let i = 0; i < 2; i++) {
      if (i) await new Promise((resolve) => setTimeout(resolve, 1000));
      const from = this.output.length;
      this.send('\x01c');
      await new Promise((resolve) => setTimeout(resolve, 200));
      this.send('info registers\n');
      try {
        const { end } = await this.waitFor(/\nRIP=[\s\S]*?\(qemu\) $/, 10000, from);
        states.push(this.output.slice(from, end).split(/\r?\n/)
          .filter((l) => KEY.test(l)).join('\n'));
      } catch (e) {
        states.push(`(the monitor does not answer either: ${e.message.split(';')[0]})`);
      }
      this.send('\x01c');
    }
    return states.join('\n--\n');
  }

  // Power the guest off and resolve with QEMU's exit status; a hung
  // guest cannot, so QEMU is killed and that is an error.
  async powerOff(timeoutMs = 60000) {
    if (this.hung) {
      this.kill();
      throw new Error(`not powered off: the guest hung at '${this.hung}'`);
    }
    this.send('poweroff -f\n');
    let timer;
    const late = new Promise((resolve, reject) => {
      timer = setTimeout(() => {
        this.kill();
        reject(new Error(`QEMU has not exited ${timeoutMs} ms after ` +
          `'poweroff -f'; last output: ${this.output.slice(-500)}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exit, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill() {
    if (!this.exited) this.proc.kill('SIGKILL');
  }
}
