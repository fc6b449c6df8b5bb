// package.test.mjs: the package as a web developer meets it, made from the working tree.
//   1. `npm pack` (its prepack step runs `make wasm`, incremental) makes a tarball that holds the
//      module, the JavaScript, the example page and the example's model files, and nothing heavy
//      besides.
//   2. A new project in a temp folder installs the tarball (offline: no dependencies) and runs the
//      README's two JavaScript examples pasted into .mjs files as they are, through
//      `import ... from 'wasmrec'` and 'wasmrec/worker'.
//   3. web/examples/ copied next to that project's node_modules/wasmrec and served by a plain
//      static file server (no special headers, knows nothing of wasmrec) shows the catalogue and
//      recommendations in Chromium with no failed request and no console error, and a click
//      changes the recommendations.
//   4. The same page without node_modules/ says why it cannot start instead of "Loading…".
// Run with `node --test tests/browser/package.test.mjs` (or `make test-browser`).
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// npm without the registry: the tarball has no dependencies, so nothing needs fetching.
const NPM_ENV = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmrec-pkg-'));
const project = path.join(tmp, 'shop');
const closers = [];
after(async () => {
    for (const c of closers.reverse()) await c();
    fs.rmSync(tmp, { recursive: true, force: true });
});

/** A static file server that knows nothing of wasmrec: files by extension, no extra headers. */
function staticServer(dir) {
    const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };
    const server = http.createServer((req, res) => {
        let file = path.join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
        if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
        if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
        fs.readFile(file, (err, body) => {
            if (err) { res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found'); return; }
            res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body);
        });
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
        closers.push(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
        resolve(`http://localhost:${server.address().port}/`);
    }));
}

/** The first ```js block after the README heading that starts with `heading`. */
function readmeExample(heading) {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const at = readme.indexOf(`\n## ${heading}`);
    assert.ok(at >= 0, `README has a section "${heading}"`);
    const m = readme.slice(at).match(/```js\n([\s\S]*?)```/);
    assert.ok(m, `the section "${heading}" has a js example`);
    return m[1];
}

// ---- 1. the tarball ----------------------------------------------------------------------------
let pack, tarball, packMs, installMs, context;
before(async () => {
    const t0 = Date.now();
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: ROOT, env: NPM_ENV, maxBuffer: 1 << 24 });
    pack = JSON.parse(stdout)[0];
    tarball = path.join(tmp, pack.filename);
    packMs = Date.now() - t0;

    // a new project installs the tarball
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'shop', version: '1.0.0', private: true }, null, 2));
    const t1 = Date.now();
    await run('npm', ['install', '--offline', tarball], { cwd: project, env: NPM_ENV });
    installMs = Date.now() - t1;

    context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(tmp, 'profile-')), {
        executablePath: '/usr/bin/chromium', headless: true, args: ARGS, viewport: { width: 1200, height: 900 },
    });
    closers.push(() => context.close());
    // Requests of the page and of its worker (the .wasm, the model) all pass through the context.
    context.on('request', (r) => log?.requests.push(r.url()));
    context.on('requestfailed', (r) => log?.failed.push(`${r.url()}: ${r.failure()?.errorText}`));
    context.on('response', (r) => { if (r.status() >= 400) log?.failed.push(`${r.url()}: HTTP ${r.status()}`); });
});

test('npm pack: the tarball holds the module, the JavaScript, the example and its model files', (t) => {
    t.diagnostic(`npm pack (with prepack's make wasm) ${packMs} ms: ${pack.filename}, ${Math.round(pack.size / 1024)} KB packed, ${pack.files.length} files`);
    const files = pack.files.map((f) => f.path);
    for (const f of ['package.json', 'README.md', 'wasm/wasmrec.wasm', 'wasm/wasmrec-mt.wasm', 'wasm/threads.mjs', 'wasm/thread-worker.mjs',
        'wasm/wasmrec.mjs', 'wasm/wasmrec.d.ts',
        'wasm/worker-client.mjs', 'wasm/worker.mjs', 'wasm/remote.mjs', 'wasm/personal.mjs', 'wasm/store.mjs', 'wasm/check.mjs', 'wasm/cli.mjs',
        'models/demo-vsknn.safetensors', 'models/demo-catalogue.json',
        'web/examples/index.html', 'web/examples/app.mjs', 'web/examples/start.mjs']) {
        assert.ok(files.includes(f), `the tarball holds ${f}`);
    }
    const wasm = pack.files.find((f) => f.path === 'wasm/wasmrec.wasm');
    assert.ok(wasm.size > 100_000, 'the .wasm is the built module');
    for (const f of files) {
        assert.match(f, /^(package\.json|README\.md|wasm\/[\w-]+\.(mjs|d\.ts|wasm)|models\/[\w.-]+\.(json|safetensors)|web\/examples\/[\w.-]+)$/, `${f} belongs in the package`);
    }
    assert.ok(!files.some((f) => /^(src|tests|bench|build|node_modules)\//.test(f)), 'no sources, tests or build files');
    assert.deepEqual(files.filter((f) => f.endsWith('.safetensors')), ['models/demo-vsknn.safetensors'], 'only the example\'s model');
    // nothing heavy: the two modules (single-thread and threaded, ~470 KB each; the engine's code
    // grows with its features, so each is bounded by itself), the example's model, and the
    // JavaScript, types, README and catalogue, which stay small
    const size = (f) => pack.files.find((x) => x.path === f).size;
    for (const f of ['wasm/wasmrec.wasm', 'wasm/wasmrec-mt.wasm']) assert.ok(size(f) < 650_000, `${f}: ${size(f)} bytes`);
    const rest = pack.unpackedSize - size('wasm/wasmrec.wasm') - size('wasm/wasmrec-mt.wasm') - size('models/demo-vsknn.safetensors');
    assert.ok(rest < 500_000, `nothing heavy besides the modules and the example's model: ${rest} bytes unpacked`);
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.equal(manifest.private, undefined, 'the package can be published');
    assert.match(manifest.scripts?.prepack ?? '', /make wasm/, 'prepack builds the module');
});

// ---- 2. the project that installed it runs the README's examples --------------------------------

async function runNode(file, code) {
    fs.writeFileSync(path.join(project, file), code);
    const env = { ...process.env };
    delete env.NODE_PATH; // only the project's node_modules
    return run(process.execPath, [file], { cwd: project, env, timeout: 60_000 });
}

test('a project that installed the tarball recommends with the README examples as written', async (t) => {
    t.diagnostic(`npm install of the tarball: ${installMs} ms`);
    const installed = path.join(project, 'node_modules', 'wasmrec');
    assert.ok(fs.existsSync(path.join(installed, 'wasm', 'wasmrec.wasm')), 'node_modules/wasmrec/wasm/wasmrec.wasm is installed');
    assert.ok(!fs.lstatSync(installed).isSymbolicLink(), 'a copy, not a link to the repository');

    const ten = readmeExample('JavaScript in ten lines');
    assert.match(ten, /from 'wasmrec'/);
    const a = await runNode('ten-lines.mjs', ten);
    const recs = [...a.stdout.matchAll(/item: '([a-z]+-\d{3})'/g)].map((m) => m[1]);
    assert.equal(recs.length, 10, `ten recommendations printed:\n${a.stdout}${a.stderr}`);

    const worker = readmeExample('In a Web Worker');
    assert.match(worker, /from 'wasmrec\/worker'/);
    const t2 = Date.now();
    const b = await runNode('worker.mjs', worker);
    t.diagnostic(`the README's worker example ran in ${Date.now() - t2} ms`);
    const wrecs = [...b.stdout.matchAll(/item: '([a-z]+-\d{3})'/g)].map((m) => m[1]);
    assert.equal(wrecs.length, 10, `ten recommendations printed from the worker:\n${b.stdout}${b.stderr}`);
    assert.match(b.stdout, /^1 \d+\.\d+/m, 'training progress is printed');

    // the ids the examples use are ids of the demo store
    const catalogue = JSON.parse(fs.readFileSync(path.join(installed, 'models', 'demo-catalogue.json'), 'utf8'));
    const ids = new Set(catalogue.items.map((it) => it.id));
    const used = [...`${ten}\n${worker}`.matchAll(/'([a-z]+-\d{3})'/g)].map((m) => m[1]);
    assert.ok(used.length >= 2);
    for (const id of used) assert.ok(ids.has(id), `${id} is an id of the demo store`);
});

// ---- 3. the example page copied into the project, on a plain static server ----------------------
let log = null; // the current page's requests, failures and console errors
function watch(page) {
    log = { failed: [], problems: [], requests: [] };
    page.on('console', (m) => { if (m.type() === 'error') log.problems.push(`console error: ${m.text()}`); });
    page.on('pageerror', (e) => log.problems.push(`page error: ${e.message}`));
    return log;
}

test('web/examples/ copied next to node_modules/wasmrec works on any static server', async (t) => {
    // copied from the installed package, as the README says; it is the repository's web/examples/
    const shipped = path.join(project, 'node_modules', 'wasmrec', 'web', 'examples');
    for (const f of fs.readdirSync(path.join(ROOT, 'web', 'examples'))) {
        assert.equal(fs.readFileSync(path.join(shipped, f), 'utf8'), fs.readFileSync(path.join(ROOT, 'web', 'examples', f), 'utf8'), `the package ships web/examples/${f}`);
    }
    fs.cpSync(shipped, project, { recursive: true });
    // the README's command prints the hash the page's CSP allows its import map by
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const hashCmd = readme.match(/\n(node -e "const m = [\s\S]*?")\n/)?.[1];
    assert.ok(hashCmd, 'README shows how to hash the import map');
    const { stdout: hash } = await run('sh', ['-c', hashCmd], { cwd: project });
    const csp = fs.readFileSync(path.join(project, 'index.html'), 'utf8').match(/http-equiv="Content-Security-Policy" content="([^"]*)"/)[1];
    assert.ok(csp.includes(`'${hash.trim()}'`), `the CSP allows ${hash.trim()}: ${csp}`);
    assert.doesNotMatch(csp.match(/script-src[^;]*/)[0], /unsafe-inline/, 'inline scripts only by their hash');
    const url = await staticServer(project);
    const page = context.pages()[0] ?? await context.newPage();
    const pageLog = watch(page);
    const t3 = Date.now();
    await page.goto(url);
    await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', { timeout: 30_000 });
    assert.equal(await page.getAttribute('#status', 'data-state'), 'ready', await page.textContent('#status'));
    t.diagnostic(`ready after ${Date.now() - t3} ms: ${await page.textContent('#status')}`);

    const buttons = page.locator('#items button');
    assert.equal(await buttons.count(), 400, 'the catalogue from node_modules/wasmrec/models/demo-catalogue.json');
    const recs = () => page.locator('#recs li').allTextContents();
    const before = await recs();
    assert.equal(before.length, 10, 'the pretrained model recommends for an empty session');
    const pick = (await buttons.nth(7).textContent()).trim();
    await buttons.nth(7).click();
    await page.waitForFunction(() => document.getElementById('event-count').textContent === '1');
    assert.deepEqual(await page.locator('#session li').allTextContents(), [pick], 'the click is in the session');
    const after = await recs();
    assert.equal(after.length, 10);
    assert.notDeepEqual(after, before, 'the recommendations follow the click');
    assert.equal(await page.getAttribute('#status', 'data-state'), 'ready');

    const origin = new URL(url).origin;
    const fetched = pageLog.requests.map((u) => new URL(u));
    assert.ok(fetched.every((u) => u.protocol === 'data:' || u.origin === origin), 'nothing but the page origin');
    for (const f of ['/node_modules/wasmrec/wasm/personal.mjs', '/node_modules/wasmrec/wasm/worker.mjs',
        '/node_modules/wasmrec/wasm/wasmrec.wasm', '/node_modules/wasmrec/models/demo-vsknn.safetensors',
        '/node_modules/wasmrec/models/demo-catalogue.json']) {
        assert.ok(fetched.some((u) => u.pathname === f), `the page fetched ${f} from the package`);
    }
    assert.deepEqual(pageLog.failed, [], 'no failed request');
    assert.deepEqual(pageLog.problems, [], 'no console error');

    // the workerUrl option is still honoured (the default is new URL('./worker.mjs', import.meta.url))
    const answer = await page.evaluate(async () => {
        const { createWorkerEngine } = await import('wasmrec/worker');
        const start = async (workerUrl) => {
            try { const e = await createWorkerEngine({ workerUrl }); e.terminate(); return 'started'; } catch (err) { return err.message; }
        };
        return [await start(new URL('./node_modules/wasmrec/wasm/worker.mjs', location.href)), await start('./no-such-worker.mjs')];
    });
    assert.equal(answer[0], 'started', 'a worker from an explicit workerUrl');
    assert.match(answer[1], /wasmrec worker failed/, 'a workerUrl that is not there is the one tried');
});

test('the example without the package says why it cannot start', async () => {
    const bare = path.join(tmp, 'bare');
    fs.cpSync(path.join(ROOT, 'web', 'examples'), bare, { recursive: true });
    const url = await staticServer(bare);
    const page = await context.newPage();
    watch(page);
    await page.goto(url);
    await page.waitForSelector('#status[data-state="error"]', { timeout: 15_000 });
    const text = await page.textContent('#status');
    assert.match(text, /Could not start/);
    assert.match(text, /node_modules\/wasmrec\/wasm\/personal\.mjs.*404/, `the status names the missing file: ${text}`);
    await page.close();
});
