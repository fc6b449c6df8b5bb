#!/usr/bin/env node
// serve.mjs: a tiny static server for the demo (node:http, no dependencies). It serves the
// repository root, so the page at /web/ can import /wasm/wasmrec.mjs and fetch wasmrec.wasm.
//   node web/serve.mjs [--port 8080]      (PORT in the environment also sets it)
// Only GET/HEAD, only files under the root (no `..`, no symlink escapes), correct MIME types,
// and the cross-origin isolation headers (COOP/COEP) so threads can be turned on later; scripts
// get a same-origin-only CSP of their own (workers take theirs from the response).
// The example page imports the package from ./node_modules/wasmrec/, as it does once copied into
// a project that installed it; here /web/examples/node_modules/wasmrec/ is the repository root.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// What web/examples/ finds at ./node_modules/wasmrec/ when served from this repository.
const EXAMPLE_PACKAGE = '/web/examples/node_modules/wasmrec/';

const MIME = {
    '.html': 'text/html; charset=utf-8',
    '.htm': 'text/html; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.json': 'application/json; charset=utf-8',
    '.wasm': 'application/wasm',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.jpg': 'image/jpeg',
    '.ico': 'image/x-icon',
    '.txt': 'text/plain; charset=utf-8',
    '.md': 'text/plain; charset=utf-8',
    '.csv': 'text/csv; charset=utf-8',
    '.tsv': 'text/tab-separated-values; charset=utf-8',
    '.data': 'text/plain; charset=utf-8',
    '.dat': 'text/plain; charset=utf-8',
    '.safetensors': 'application/octet-stream',
    '.map': 'application/json; charset=utf-8',
};

const BASE_HEADERS = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
};

// Scripts carry their own policy: a Worker started from one (the training workers) gets it from
// this header, not from the page's meta tag, so it too can reach this origin only.
const SCRIPT_CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; worker-src 'self'";

function send(res, status, body, headers = {}) {
    res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(body);
}

// Maps a URL path to a file inside ROOT, or null when it would leave ROOT.
function resolvePath(urlPath) {
    let decoded;
    try { decoded = decodeURIComponent(urlPath); } catch { return null; }
    if (decoded.includes('\0')) return null;
    if (decoded.split(/[\\/]/).includes('..')) return null;
    const file = path.resolve(ROOT, '.' + path.posix.normalize('/' + decoded));
    if (file !== ROOT && !file.startsWith(ROOT + path.sep)) return null;
    return file;
}

async function handle(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    const rawPath = req.url.split('?')[0];
    if (resolvePath(rawPath) === null) return send(res, 403, 'forbidden: outside the served folder\n');
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/') return send(res, 302, 'see /web/\n', { Location: '/web/' });
    const served = url.pathname.startsWith(EXAMPLE_PACKAGE) ? url.pathname.slice(EXAMPLE_PACKAGE.length - 1) : url.pathname;
    let file = resolvePath(served);
    if (!file) return send(res, 403, 'forbidden: outside the served folder\n');
    let stat;
    try {
        const real = await fs.promises.realpath(file);
        if (real !== ROOT && !real.startsWith(ROOT + path.sep)) return send(res, 403, 'forbidden: outside the served folder\n');
        stat = await fs.promises.stat(real);
        if (stat.isDirectory()) {
            if (!url.pathname.endsWith('/')) return send(res, 301, 'moved\n', { Location: url.pathname + '/' + url.search });
            file = path.join(real, 'index.html');
            stat = await fs.promises.stat(file);
        } else {
            file = real;
        }
    } catch {
        return send(res, 404, `not found: ${url.pathname}\n`);
    }
    const ext = path.extname(file).toLowerCase();
    const type = MIME[ext] || 'application/octet-stream';
    const extra = {};
    if (ext === '.mjs' || ext === '.js') extra['Content-Security-Policy'] = SCRIPT_CSP;
    // The demo page's offline worker lives in /web/ but serves the whole origin (the engine's workers too).
    if (url.pathname === '/web/sw.js') extra['Service-Worker-Allowed'] = '/';
    res.writeHead(200, { ...BASE_HEADERS, ...extra, 'Content-Type': type, 'Content-Length': stat.size });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

/** Starts the server; port 0 picks a free one. Resolves to { url, port, close() }. */
export function startServer({ port = 8080, host = '127.0.0.1' } = {}) {
    const server = http.createServer((req, res) => {
        handle(req, res).catch(() => { if (!res.headersSent) send(res, 500, 'internal error\n'); else res.destroy(); });
    });
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
            const actual = server.address().port;
            resolve({
                url: `http://localhost:${actual}/`,
                port: actual,
                server,
                close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
            });
        });
    });
}

function parsePort(argv) {
    const i = argv.findIndex((a) => a === '--port' || a.startsWith('--port='));
    const text = i < 0 ? process.env.PORT : argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
    if (text === undefined || text === '') return 8080;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port must be an integer from 0 to 65535, got ${JSON.stringify(text)}`);
    return n;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    try {
        const { url } = await startServer({ port: parsePort(process.argv.slice(2)) });
        console.log(`wasmrec demo: ${url}`);
    } catch (e) {
        console.error(`serve: ${e.code === 'EADDRINUSE' ? 'port already in use (set PORT or --port)' : e.message}`);
        process.exitCode = 1;
    }
}
