// The page: a guest's serial console in a terminal, through the same
// embedding API (qemu-vm.mjs) that other pages use.
//
// URL query (all optional):
//   guest=NAME     a guest of this site (guests/NAME.json); default x86_64
//   config=URL     a JSON config of one's own (qemu-vm.mjs lists the keys;
//                  relative URLs in it are relative to the JSON file)
//   mem=SIZE       guest RAM, e.g. 512M
//   append=TEXT    more kernel command line after the guest's own
//   cmdline=TEXT   the whole kernel command line instead of the guest's

import { startVm, hostProblem } from './qemu-vm.mjs';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

function setStatus(text) {
  $('status').textContent = text;
}

function showError(title, text, { retry = false, kind = 'error' } = {}) {
  $('progress').hidden = true;
  const panel = $('error');
  panel.className = `panel ${kind}`;
  $('error-title').textContent = title;
  $('error-text').textContent = text;
  $('error-retry').hidden = !retry;
  panel.hidden = false;
}

function amount(bytes, unit) {
  return unit === 'KiB' ? (bytes / 1024).toFixed(0) : (bytes / (1 << 20)).toFixed(1);
}

// One row per file: name, a bar and "loaded / total MiB".
function showProgress(files) {
  const table = $('files');
  table.replaceChildren(...files.map((f) => {
    const row = document.createElement('tr');
    const name = document.createElement('td');
    name.textContent = f.name;
    const bar = document.createElement('td');
    const meter = document.createElement('progress');
    if (f.total) {
      meter.max = f.total;
      meter.value = Math.min(f.loaded, f.total);
    }
    bar.append(meter);
    const bytes = document.createElement('td');
    bytes.className = 'bytes';
    const unit = (f.total ?? f.loaded) < (1 << 20) ? 'KiB' : 'MiB';
    bytes.textContent = f.total
      ? `${amount(f.loaded, unit)} / ${amount(f.total, unit)} ${unit}`
      : `${amount(f.loaded, unit)} ${unit}`;
    row.append(name, bar, bytes);
    return row;
  }));
  $('progress').hidden = false;
}

// Relative URLs in a config are relative to the config file.
function resolveConfig(config, base) {
  const abs = (u) => (typeof u === 'string' ? new URL(u, base).href
    : u && typeof u.url === 'string' ? { ...u, url: new URL(u.url, base).href } : u);
  const out = { ...config };
  for (const key of ['kernel', 'initrd', 'bios', 'qemuUrl']) {
    if (out[key]) out[key] = abs(out[key]);
  }
  if (out.firmware) out.firmware = out.firmware.map(abs);
  if (out.drives) out.drives = out.drives.map((d) => ({ ...d, file: abs(d.file) }));
  if (out.sizes) {
    out.sizes = Object.fromEntries(Object.entries(out.sizes)
      .map(([u, n]) => [new URL(u, base).href, n]));
  }
  return out;
}

async function fetchJson(url, what) {
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`Could not load ${what} ${url}: ${e.message}`);
  }
  if (!res.ok) throw new Error(`Could not load ${what} ${url}: HTTP ${res.status}`);
  try {
    return await res.json();
  } catch (e) {
    throw new Error(`${what} ${url} is not valid JSON: ${e.message}`);
  }
}

async function loadConfig() {
  const guest = params.get('guest') || 'x86_64';
  if (!/^[\w.-]+$/.test(guest)) throw new Error(`Bad guest name '${guest}'.`);
  const url = new URL(params.get('config') || `guests/${guest}.json`, location.href);
  const config = resolveConfig(await fetchJson(url, 'the guest config'), url);
  if (params.has('mem')) config.memory = params.get('mem');
  if (params.has('cmdline')) config.append = params.get('cmdline');
  if (params.has('append')) {
    config.append = `${config.append || ''} ${params.get('append')}`.trim();
  }
  return config;
}

// The guest menu, from guests/index.json; choosing one reloads the page.
async function fillGuestMenu(current) {
  const select = $('guest');
  let guests = [];
  try {
    guests = await fetchJson(new URL('guests/index.json', location.href), 'the guest list');
  } catch {
    // A site without a list still runs its default guest.
  }
  for (const g of guests) {
    const option = new Option(g.name, g.name, false, g.name === current);
    option.title = g.title || '';
    select.append(option);
  }
  select.closest('label').hidden = guests.length < 2;
  select.addEventListener('change', () => {
    const next = new URLSearchParams(params);
    next.set('guest', select.value);
    next.delete('config');
    location.search = next.toString();
  });
}

function describeExit(status) {
  return status === 0
    ? ['The VM has powered off', 'QEMU exited normally (status 0).', 'info']
    : ['QEMU stopped', `QEMU exited with status ${status}; its messages are ` +
       'in the terminal.', 'error'];
}

async function main() {
  $('error-retry').addEventListener('click', () => location.reload());
  const problem = hostProblem();
  if (problem) {
    setStatus('cannot start');
    const title = problem.code === 'no-wasm' ? 'No WebAssembly'
      : 'Not cross-origin isolated';
    showError(title, problem.message);
    return;
  }

  fillGuestMenu(params.get('guest') || 'x86_64');
  setStatus('loading the guest config');
  let config;
  try {
    config = await loadConfig();
  } catch (e) {
    setStatus('cannot start');
    showError('No guest to boot', e.message);
    return;
  }
  if (config.title) document.title = `${config.title} — QEMU in WebAssembly`;

  let bootStart = 0;
  let ticker = 0;
  let tail = '';
  const decoder = new TextDecoder();
  const vm = startVm(config, {
    element: $('terminal'),
    onProgress: showProgress,
    // Firmware prints first, then a kernel booted with "quiet" says
    // nothing for a minute: the header counts the seconds until the
    // output looks like a prompt.
    onOutput(bytes) {
      if (!ticker) return;
      tail = (tail + decoder.decode(bytes, { stream: true })).slice(-64);
      if (/([#$>] |login: )(\x1b\[6n)?$/.test(tail)) {
        clearInterval(ticker);
        ticker = 0;
        setStatus('running');
      }
    },
    onStatus(state) {
      if (state === 'loading') setStatus('downloading');
      if (state === 'booting') {
        // Downloads and compilation are done here; the test reads this.
        performance.mark('qemu-main');
        setStatus('booting');
        bootStart = performance.now();
        $('progress-title').textContent = 'Booting';
        // The kernel is quiet until the shell: show that time passes.
        const tick = () => {
          const s = Math.round((performance.now() - bootStart) / 1000);
          $('progress-note').textContent = `Booting the guest: ${s} s ` +
            '(Linux takes minutes under QEMU\'s interpreter).';
          setStatus(`booting · ${s} s`);
        };
        tick();
        ticker = setInterval(tick, 1000);
      }
      if (state === 'running') $('progress').hidden = true;
    },
  });
  // For the browser's console: qemuVm.write('ls\r'), qemuVm.stop().
  window.qemuVm = vm;

  try {
    const status = await vm.exited;
    clearInterval(ticker);
    ticker = 0;
    if (status === null) {
      setStatus('stopped');
      showError('Stopped', 'The VM was stopped.', { retry: true, kind: 'info' });
    } else {
      setStatus(`exited (${status})`);
      const [title, text, kind] = describeExit(status);
      showError(title, text, { retry: true, kind });
    }
  } catch (e) {
    clearInterval(ticker);
    ticker = 0;
    setStatus('failed');
    const title = e.code === 'load' ? 'A file failed to load'
      : e.code === 'abort' ? 'QEMU aborted' : 'QEMU could not start';
    showError(title, e.message, { retry: true });
  }
}

main().catch((e) => showError('The page failed', e.stack || String(e)));
