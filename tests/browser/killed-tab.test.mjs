// killed-tab.test.mjs: issue 15 item 5, "a killed tab". A real page saves model A in IndexedDB
// (wasm/store.mjs) and waits until it is saved, then starts saving a larger model B and is
// stopped a few ms later in one of three ways: the tab is closed (page.close), the tab's renderer
// process crashes (CDP Page.crash), or the whole browser process is killed (SIGKILL) and started
// again on the same profile. A new page on the same origin then loads the model: its bytes must
// be A's or B's (SHA-256 equal to the bytes made in Node), its pointer record (size, meta) must
// belong to those bytes, it must load with engine.loadModel, and only B's orphaned blob may stay
// beside A: never a mix, never a lost model; a save that had resolved before the kill must be B.
// Delays 0-100 ms and fractions of the measured save time; the log says which phase each kill
// hit. No IndexedDB mocks: Debian's chromium, a profile on disk. About 40 s.
// Run with `make test-browser` or `node --test tests/browser/`.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import { startServer } from '../../web/serve.mjs';
import { loadEngine } from '../../wasm/wasmrec.mjs';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// ms between saveModel(B) and the kill; then fractions of the time a whole save of B takes here,
// to land near the pointer switch; then -1: after the save resolved (must be B)
const DELAYS = [0, 1, 2, 5, 10, 20, 50, 100];
const FRACTIONS = [0.5, 0.75, 0.9, 1, 1.1];
const MODES = ['close', 'crash', 'kill'];

// The two models, made once here (the same wasm module as the page's): A is 21 kB, B 7.8 MB.
const engine = await loadEngine();
const A = engine.model('markov').fit(engine.dataset(engine.generate({ sessions: 500, items: 80, seed: 1 }))).save();
const B = engine.model('mf', { epochs: 1 }).fit(engine.dataset(engine.generate({ sessions: 8000, items: 30000, seed: 5 }))).save(); // 7.8 MB
const NAME = { A: 'markov', B: 'mf' };
engine.dispose();
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
const DIGEST = { A: sha(A), B: sha(B) };

const server = await startServer({ port: 0 });
const origin = new URL(server.url).origin;
// Helpers the runs' page.evaluate() calls use (run in the blank page below).
const PAGE_HELPERS = `
    window.req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
    window.reference = async () => {
        const db = await req(indexedDB.open('t-killed-ref', 1));
        const s = db.transaction('bytes').objectStore('bytes');
        const out = { A: await req(s.get('A')), B: await req(s.get('B')) };
        db.close();
        return out;
    };
    window.sha256 = async (b) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', b))]
        .map((x) => x.toString(16).padStart(2, '0')).join('');
`;
// A blank page and the two models' bytes, served on the page's origin by the test itself.
const BASE = `${origin}/__killed-tab/`;
const ROUTES = {
    [`${BASE}`]: { contentType: 'text/html; charset=utf-8', body: `<!doctype html><title>killed tab</title><script>${PAGE_HELPERS}</script>` },
    [`${BASE}A.bin`]: { contentType: 'application/octet-stream', body: Buffer.from(A) },
    [`${BASE}B.bin`]: { contentType: 'application/octet-stream', body: Buffer.from(B) },
};
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmrec-killed-'));

// Chromium started by hand (not by playwright) so the test owns its pid and can SIGKILL it; the
// profile directory stays, so IndexedDB is there when it starts again.
let chrome = null;
async function launch() {
    const proc = spawn('/usr/bin/chromium', [...ARGS, `--user-data-dir=${profile}`, '--remote-debugging-port=0', 'about:blank'],
        { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise((res) => proc.once('exit', res));
    const ws = await new Promise((res, rej) => {
        let err = '';
        const timer = setTimeout(() => rej(new Error(`chromium did not start: ${err}`)), 30_000);
        proc.stderr.on('data', (d) => {
            err += d;
            const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
            if (m) { clearTimeout(timer); res(m[1]); }
        });
        proc.once('exit', (code, sig) => { clearTimeout(timer); rej(new Error(`chromium exited (${code ?? sig}): ${err}`)); });
    });
    const browser = await chromium.connectOverCDP(ws);
    const context = browser.contexts()[0];
    await context.route(`${BASE}**`, (route) => {
        const r = ROUTES[route.request().url()];
        return r ? route.fulfill({ status: 200, ...r }) : route.fulfill({ status: 404, body: 'not found' });
    });
    chrome = { proc, exited, browser, context };
    return chrome;
}
async function stop() {
    if (!chrome) return;
    const { proc, exited, browser } = chrome;
    chrome = null;
    await browser.close().catch(() => {}); // disconnects; the process is ours to end
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
}

test.after(async () => {
    await stop();
    await server.close();
    // Chromium's helper processes (crash handler, utilities) can outlive the one we waited for
    // and still write into the profile for a moment: ENOTEMPTY, seen here once; retried
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10 });
});

async function openPage() {
    const page = await chrome.context.newPage();
    await page.goto(BASE);
    return page;
}

// Once, in the first page: A's and B's bytes from the route into a database of their own
// ('t-killed-ref', never written again), so each run reads them locally instead of over CDP.
async function keepReference(page) {
    return page.evaluate(async () => {
        const open = indexedDB.open('t-killed-ref', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('bytes');
        const db = await req(open);
        const bytes = {};
        for (const k of ['A', 'B']) bytes[k] = new Uint8Array(await (await fetch(`${k}.bin`)).arrayBuffer());
        const tx = db.transaction('bytes', 'readwrite');
        for (const k of ['A', 'B']) tx.objectStore('bytes').put(bytes[k], k);
        await new Promise((res, rej) => { tx.oncomplete = res; tx.onerror = () => rej(tx.error); });
        db.close();
    });
}

// In the page: what model 'm' of database `db` is now: its SHA-256 (compared in Node with A's
// and B's), the pointer's size and meta, the engine's name for it; then the database is deleted.
async function inspect(page, db) {
    return page.evaluate(async (db) => {
        const { openStore } = await import('/wasm/store.mjs');
        const { loadEngine } = await import('/wasm/wasmrec.mjs');
        const ref = await reference();
        const store = await openStore({ name: db });
        const out = { persistent: store.persistent, refDigest: { A: await sha256(ref.A), B: await sha256(ref.B) } };
        try {
            const raw = await req(indexedDB.open(db));
            out.blobs = await req(raw.transaction('blobs').objectStore('blobs').count());
            raw.close();
            const got = await store.loadModel('m');
            if (!got) { out.which = 'lost'; return out; }
            out.digest = await sha256(got.bytes);
            out.which = out.digest === out.refDigest.A ? 'A' : out.digest === out.refDigest.B ? 'B' : 'neither';
            out.length = got.bytes.length;
            out.size = got.size;
            out.meta = got.meta.v;
            const engine = await loadEngine();
            try { out.loaded = engine.loadModel(got.bytes).name; } catch (e) { out.loaded = `${e.name}: ${e.message}`; }
            engine.dispose();
        } catch (e) {
            out.which = `error: ${e.name}: ${e.message}`;
        } finally { await store.forget(); }
        return out;
    }, db);
}

// In the page: save A as model 'm' of database `db` and wait; then start saving B and return
// `delay` ms later (-1: once the save resolved), saying whether the B save had resolved by then.
async function arm(page, db, delay) {
    return page.evaluate(async ([db, delay]) => {
        const { openStore } = await import('/wasm/store.mjs');
        const { A, B } = await reference();
        const store = await openStore({ name: db });
        await store.saveModel('m', A, { v: 'A' });
        const st = { resolvedMs: null, error: null };
        const t0 = performance.now();
        const saving = store.saveModel('m', B, { v: 'B' })
            .then(() => { st.resolvedMs = performance.now() - t0; }, (e) => { st.error = `${e.name}: ${e.message}`; });
        if (delay < 0) await saving;
        else if (delay > 0) await new Promise((res) => setTimeout(res, delay));
        return { ...st, returnedMs: performance.now() - t0 };
    }, [db, delay]);
}

async function kill(page, mode, cdp) {
    if (mode === 'close') {
        await page.close({ runBeforeUnload: false });
    } else if (mode === 'crash') {
        const crashed = new Promise((res) => page.once('crash', res));
        cdp.send('Page.crash').catch(() => {}); // no answer comes back from a dead renderer
        await crashed;
        await page.close().catch(() => {});
    } else {
        const { proc, exited } = chrome;
        chrome = null;
        proc.kill('SIGKILL');
        await exited;
        await launch();
    }
}

test('a killed tab: closed, crashed or killed mid-save, model A or B is there, whole, never a mix or lost', { timeout: 120_000 }, async () => {
    const t0 = Date.now();
    await launch();
    let page = await openPage();
    await keepReference(page);
    // calibration: how long a whole save of B takes here
    const cal = await arm(page, 't-killed-cal', -1);
    assert.equal(cal.error, null, 'a save that is not interrupted succeeds');
    const calGot = await inspect(page, 't-killed-cal');
    assert.deepEqual(calGot.refDigest, DIGEST, 'the page has the bytes made in Node');
    assert.equal(calGot.which, 'B');
    const runs = [];
    for (const mode of MODES) {
        for (const delay of [...DELAYS, ...FRACTIONS.map((f) => Math.round(f * cal.resolvedMs)), -1]) {
            const db = `t-killed-${runs.length}`; // a database per run: no orphan blobs of earlier runs
            // the CDP session is made before the save starts, so one message follows arm()'s return
            const cdp = mode === 'crash' ? await chrome.context.newCDPSession(page) : null;
            const armed = await arm(page, db, delay);
            await kill(page, mode, cdp);
            page = await openPage();
            const got = await inspect(page, db);
            runs.push({ mode, delay, ...armed, ...got });
        }
    }
    await page.close();
    const seconds = (Date.now() - t0) / 1000;
    const count = (mode, which) => runs.filter((r) => (!mode || r.mode === mode) && r.which === which).length;
    console.log(`killed tab: |A| = ${A.length} bytes, |B| = ${B.length} bytes; a whole save of B took ${Math.round(cal.resolvedMs)} ms; ${seconds.toFixed(1)} s`);
    // A with 2 blobs: B's blob was written but the pointer not switched (an orphan, removed by a
    // later open once older than a minute); B while the page still waited: the switch committed
    // but the page was gone before it heard
    const phase = (r) => (r.which === 'A' ? (r.blobs > 1 ? 'A, B blob orphaned' : 'A, no B blob') : r.which === 'B' ? (r.resolvedMs === null ? 'B, page not told' : 'B') : r.which);
    for (const r of runs) {
        console.log(`  ${r.mode.padEnd(5)} after ${r.delay < 0 ? 'resolve' : `${r.delay} ms`.padEnd(7)}: ${phase(r).padEnd(18)}` +
            ` (save ${r.resolvedMs === null ? 'pending' : `resolved in ${Math.round(r.resolvedMs)} ms`} when the page returned at ${Math.round(r.returnedMs)} ms)`);
    }
    for (const mode of MODES) console.log(`  ${mode}: A ${count(mode, 'A')}, B ${count(mode, 'B')}`);

    for (const r of runs) {
        const what = `${r.mode} after ${r.delay} ms`;
        assert.equal(r.persistent, true, `${what}: the store reopened in IndexedDB`);
        assert.ok(r.which === 'A' || r.which === 'B', `${what}: the model is A or B, whole (got ${r.which})`);
        assert.equal(r.digest, DIGEST[r.which], `${what}: the bytes are those made in Node`);
        assert.equal(r.meta, r.which, `${what}: the pointer's meta belongs to the bytes it points at`);
        assert.equal(r.size, r.length, `${what}: the pointer's size is the blob's`);
        assert.equal(r.loaded, NAME[r.which], `${what}: engine.loadModel loads it`);
        assert.equal(r.error, null, `${what}: the save had not failed before the kill`);
        if (r.resolvedMs !== null) assert.equal(r.which, 'B', `${what}: a save that resolved before the kill is kept`);
        // the old blob goes in the pointer switch's transaction; at most B's orphan stays beside A
        assert.ok(r.which === 'B' ? r.blobs === 1 : r.blobs === 1 || r.blobs === 2, `${what}: ${r.blobs} blobs stored beside ${r.which}`);
    }
    for (const mode of MODES) assert.ok(count(mode, 'B') >= 1, `${mode}: at least the save awaited before the kill is B`);
});
