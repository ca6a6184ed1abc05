// A small static file server for the browser page (build/site): it sends
// the cross-origin isolation headers that SharedArrayBuffer, and so QEMU's
// threads, need; WebAssembly's MIME type, which streaming compilation
// insists on; and gzip, from the .gz files the site build writes next to
// the big files or made on the fly for small text files.
//
//   node web/serve.mjs [--host 127.0.0.1] [--port 8080] [--no-isolation]
//                      [--root build/site]
//
// Loopback only unless --host says otherwise: it is a development server.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_ROOT = path.join(process.env.QEMU_WASM_OUT ||
  path.join(HERE, '..', 'build'), 'site');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};
// Text compresses well and is small enough to gzip per request (and keep).
const COMPRESS_ON_THE_FLY = /^(text\/|application\/json|image\/svg)/;
const ON_THE_FLY_MAX = 4 << 20;

export function contentType(file) {
  return TYPES[path.extname(file).toLowerCase()] ||
    'application/octet-stream';
}

// The headers that make the page cross-origin isolated.  Everything the
// page loads comes from this origin, so same-origin is all COEP asks of
// the resources themselves.
function isolationHeaders() {
  return {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

// Map a URL path onto a file under root; null if it escapes root.
function resolvePath(root, urlPath) {
  let rel;
  try {
    rel = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  const file = path.join(root, path.normalize('/' + rel));
  return file === root || file.startsWith(root + path.sep) ? file : null;
}

function acceptsGzip(req) {
  return /\bgzip\b/.test(req.headers['accept-encoding'] || '');
}

function statOrNull(file) {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}

// gzip'd copies of small text files, keyed by path, size and mtime.
const gzipCache = new Map();

function gzipSmall(file, st) {
  const key = `${file}:${st.size}:${st.mtimeMs}`;
  let body = gzipCache.get(key);
  if (!body) {
    body = zlib.gzipSync(fs.readFileSync(file), { level: 9 });
    gzipCache.set(key, body);
  }
  return body;
}

// Choose what to send for file: the file itself, its precompressed .gz
// sibling, or a gzip'd copy made here.  Returns { st, body|stream file,
// encoding }.
function representation(req, file, st) {
  const type = contentType(file);
  if (acceptsGzip(req)) {
    const gz = statOrNull(file + '.gz');
    // A .gz older than its source is stale: the site build rewrites both.
    if (gz && gz.isFile() && gz.mtimeMs >= st.mtimeMs) {
      return { type, encoding: 'gzip', file: file + '.gz', st: gz };
    }
    if (COMPRESS_ON_THE_FLY.test(type) && st.size <= ON_THE_FLY_MAX &&
        st.size > 256) {
      return { type, encoding: 'gzip', body: gzipSmall(file, st), st };
    }
  }
  return { type, encoding: null, file, st };
}

function send(res, status, headers, body) {
  res.writeHead(status, headers);
  res.end(body);
}

function handle(req, res, { root, isolation, log }) {
  const base = isolation ? isolationHeaders() : {};
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(res, 405, { ...base, Allow: 'GET, HEAD' }, 'method not allowed\n');
  }
  const urlPath = (req.url || '/').split('?')[0];
  let file = resolvePath(root, urlPath);
  let st = file && statOrNull(file);
  if (st && st.isDirectory()) {
    if (!urlPath.endsWith('/')) {
      return send(res, 301, { ...base, Location: urlPath + '/' }, '');
    }
    file = path.join(file, 'index.html');
    st = statOrNull(file);
  }
  if (!st || !st.isFile()) {
    log(404, req.url);
    return send(res, 404, { ...base, 'Content-Type': 'text/plain' },
      'not found\n');
  }

  const rep = representation(req, file, st);
  // Revalidate every time (the build rewrites files in place) but let an
  // unchanged file cost a 304, not another 60 MiB.
  const etag = `"${rep.st.size.toString(16)}-${Math.floor(rep.st.mtimeMs).toString(16)}` +
    `${rep.encoding ? '-gz' : ''}"`;
  const headers = {
    ...base,
    'Content-Type': rep.type,
    'Cache-Control': 'no-cache',
    ETag: etag,
    Vary: 'Accept-Encoding',
  };
  if (req.headers['if-none-match'] === etag) {
    log(304, req.url);
    return send(res, 304, headers, '');
  }
  if (rep.encoding) headers['Content-Encoding'] = rep.encoding;
  headers['Content-Length'] = rep.body ? rep.body.length : rep.st.size;
  log(200, req.url, rep.encoding || '');
  res.writeHead(200, headers);
  if (req.method === 'HEAD') return res.end();
  if (rep.body) return res.end(rep.body);
  fs.createReadStream(rep.file).on('error', () => res.destroy()).pipe(res);
}

// Start serving; resolves with { server, url, close() }.  Port 0 picks a
// free port.
export function startServer({ root = DEFAULT_ROOT, host = '127.0.0.1',
  port = 8080, isolation = true, verbose = false } = {}) {
  const absRoot = path.resolve(root);
  const log = verbose
    ? (status, url, note = '') => console.log(`${status} ${url} ${note}`.trim())
    : () => {};
  const server = http.createServer((req, res) => {
    try {
      handle(req, res, { root: absRoot, isolation, log });
    } catch (e) {
      send(res, 500, { 'Content-Type': 'text/plain' }, `${e.message}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        server,
        url: `http://${shown}:${actual}/`,
        close: () => new Promise((done) => {
          server.closeAllConnections?.();
          server.close(() => done());
        }),
      });
    });
  });
}

function usage(msg) {
  process.stderr.write(`serve.mjs: ${msg}\n` +
    'usage: node web/serve.mjs [--host ADDR] [--port N] [--no-isolation] ' +
    '[--root DIR] [--verbose]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (argv[i + 1] === undefined) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--host') opts.host = value();
    else if (a === '--port') {
      opts.port = Number(value());
      if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
        usage(`bad port '${argv[i]}'`);
      }
    } else if (a === '--root') opts.root = value();
    else if (a === '--no-isolation') opts.isolation = false;
    else if (a === '--verbose') opts.verbose = true;
    else usage(`unknown option '${a}'`);
  }
  return opts;
}

if (process.argv[1] && fileURLToPath(import.meta.url) ===
    fs.realpathSync(process.argv[1])) {
  const opts = parseArgs(process.argv.slice(2));
  const root = path.resolve(opts.root || DEFAULT_ROOT);
  if (!statOrNull(path.join(root, 'index.html'))) {
    process.stderr.write(`serve.mjs: no site in ${root}: run 'make site' first\n`);
    process.exit(1);
  }
  startServer({ ...opts, root }).then(({ url }) => {
    const note = opts.isolation === false
      ? ' (without cross-origin isolation: the page will refuse to start)'
      : '';
    console.log(`serving ${root} at ${url}${note}`);
    if (!/^(127\.|localhost$|::1$|\[::1\]$)/.test(opts.host || '127.0.0.1')) {
      console.log('note: browsers isolate plain-HTTP pages only on localhost; ' +
        'from other machines, put HTTPS in front of this server');
    }
  }, (e) => {
    process.stderr.write(`serve.mjs: ${e.message}\n`);
    process.exit(1);
  });
}
