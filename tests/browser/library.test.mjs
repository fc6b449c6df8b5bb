// library.test.mjs: the JS library in Debian's headless Chromium (playwright-core): training in
// a Web Worker with progress and AbortSignal; the main thread has no task longer than 50 ms while
// models train (PerformanceObserver 'longtask'); the example page (web/examples/) keeps the
// event log and the fine-tuned model in IndexedDB across a reload and forget() empties it;
// atomic model saves (an aborted save leaves the previous model loadable); the schema upgrade
// from version 1 to 2; quota and private-mode failures (indexedDB.open failing) give a clear
// error while the page keeps working in memory; zero requests to anything but the page origin.
// Run with `make test-browser` or `node --test tests/browser/`.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../../web/serve.mjs';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const server = await startServer({ port: 0 });
const origin = new URL(server.url).origin;
const EXAMPLE = `${origin}/web/examples/`;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmrec-lib-'));
const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, args: ARGS, viewport: { width: 1200, height: 900 },
});
const requests = [];
const problems = [];
context.on('request', (r) => requests.push(r.url()));
context.on('page', watch);
function watch(page) {
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}
for (const p of context.pages()) watch(p);

test.after(async () => {
    await context.close();
    await server.close();
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10 }); // see killed-tab.test.mjs
});

async function openExample(page) {
    await page.goto(EXAMPLE);
    await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', { timeout: 60_000 });
    assert.equal(await page.getAttribute('#status', 'data-state'), 'ready', await page.textContent('#status'));
}
const texts = (page, sel) => page.locator(sel).allTextContents();

test('example page: clicks and fine-tuned model survive a reload; forget() empties storage', async () => {
    const page = context.pages()[0] ?? await context.newPage();
    await openExample(page);
    assert.equal(await page.getAttribute('#storage', 'data-persistent'), 'true', await page.textContent('#storage'));
    assert.equal((await texts(page, '#recs li')).length, 10, 'the pretrained model recommends for an empty session');
    let before = await texts(page, '#recs li');
    for (const i of [3, 40, 41]) {
        await page.locator('#items button').nth(i).click();
        await page.waitForFunction((n) => document.getElementById('event-count').textContent === String(n), i === 3 ? 1 : i === 40 ? 2 : 3);
        const now = await texts(page, '#recs li');
        assert.equal(now.length, 10);
        assert.notDeepEqual(now, before, 'recommendations follow the click');
        before = now;
    }
    const session = await texts(page, '#session li');
    assert.equal(session.length, 3);

    // reload: the event log and the current session are still there
    await openExample(page);
    assert.equal(await page.textContent('#event-count'), '3');
    assert.deepEqual(await texts(page, '#session li'), session, 'the session resumes after a reload');

    // finish the session, click once more, fine-tune: the finished session is added to the model
    await page.click('#new-session');
    await page.locator('#items button').nth(100).click();
    await page.waitForFunction(() => document.getElementById('event-count').textContent === '4');
    await page.click('#fine-tune');
    await page.waitForSelector('#tune-result[data-action]');
    assert.equal(await page.getAttribute('#tune-result', 'data-action'), 'addSession');
    assert.match(await page.textContent('#tune-result'), /added 1 finished session.*saved on this device/);

    // reload: the fine-tuned model comes from IndexedDB
    await openExample(page);
    assert.equal(await page.textContent('#model-source'), 'personal');
    assert.equal(await page.textContent('#event-count'), '4');
    const stored = await page.evaluate(async () => (await window.wasmrecExample.rec.store.listModels()).map((m) => m.name));
    assert.deepEqual(stored, ['personal']);

    // forget: nothing stored any more, and the page goes on with the pretrained model
    await page.click('#forget');
    await page.waitForFunction(() => document.getElementById('event-count').textContent === '0');
    assert.equal(await page.textContent('#model-source'), 'pretrained');
    const dbs = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    assert.ok(!dbs.includes('wasmrec'), `the database is deleted (${dbs})`);
    await openExample(page);
    assert.equal(await page.textContent('#event-count'), '0');
    assert.equal(await page.textContent('#model-source'), 'pretrained');
    assert.equal((await texts(page, '#session li')).length, 0);
});

test('worker training: progress events, cancellation by AbortSignal (running and queued)', async () => {
    const page = context.pages()[0];
    await openExample(page);
    const r = await page.evaluate(async () => {
        const { createWorkerEngine } = await import('/wasm/worker-client.mjs');
        const w = await createWorkerEngine();
        const out = {};
        const data = await w.generateDataset({ sessions: 2000, items: 300, seed: 3 });
        // a stepwise model: progress after every chunk, stopped between chunks
        const gru = await w.model('gru4rec', { dim: 16, epochs: 40 });
        const ac = new AbortController();
        const seen = [];
        try {
            await gru.fit(data, { signal: ac.signal, chunk: 8, onProgress: (p) => { seen.push(p); if (seen.length === 6) ac.abort(); } });
            out.gru = 'finished';
        } catch (e) { out.gru = e.name; }
        out.gruEvents = seen.length;
        out.gruSteps = seen.map((p) => p.step + p.epoch * 1e6);
        out.gruRecs = (await gru.recommend([(await data.catalogue())[0].id], { k: 5 })).length;
        // a one-pass model: start and end
        const knn = await w.model('itemknn');
        const p2 = [];
        await knn.fit(data, { onProgress: (p) => p2.push(p.done) });
        out.knnProgress = p2;
        // queued behind a running fit, then aborted: never starts
        const big = await w.generateDataset({ sessions: 30000, items: 2000, seed: 5 });
        const first = knn.fit(big);
        const ac2 = new AbortController();
        let queuedProgress = 0;
        const second = (await w.model('vstan')).fit(big, { signal: ac2.signal, onProgress: () => queuedProgress++ });
        ac2.abort();
        out.second = await second.then(() => 'finished', (e) => e.name);
        out.first = await first.then((p) => p.done, (e) => e.name);
        out.queuedProgress = queuedProgress;
        // aborted before the call: rejects at once
        out.pre = await knn.fit(data, { signal: AbortSignal.abort() }).then(() => 'finished', (e) => e.name);
        w.terminate();
        return out;
    });
    assert.equal(r.gru, 'AbortError');
    assert.ok(r.gruEvents >= 6 && r.gruEvents <= 8, `stopped within a chunk of the abort (${r.gruEvents} events)`);
    for (let i = 1; i < r.gruSteps.length; i++) assert.ok(r.gruSteps[i] >= r.gruSteps[i - 1], 'progress moves forward');
    assert.equal(r.gruRecs, 5, 'the stopped model still recommends');
    assert.deepEqual(r.knnProgress, [false, true]);
    assert.equal(r.second, 'AbortError');
    assert.equal(r.queuedProgress, 0, 'the aborted queued fit never started');
    assert.equal(r.first, true);
    assert.equal(r.pre, 'AbortError');
});

test('while models train in the worker, no main-thread task is longer than 50 ms', { timeout: 240_000 }, async () => {
    const page = context.pages()[0];
    await openExample(page);
    const r = await page.evaluate(async () => {
        const { createWorkerEngine } = await import('/wasm/worker-client.mjs');
        const w = await createWorkerEngine();
        const data = await w.generateDataset({ sessions: 100000, items: 3000, seed: 11 }); // item-kNN fits of 100+ ms
        await new Promise((res) => setTimeout(res, 200)); // let the page settle
        const long = [];
        const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) long.push(Math.round(e.duration)); });
        obs.observe({ type: 'longtask' });
        let frames = 0;
        let running = true;
        const tick = () => { frames++; if (running) requestAnimationFrame(tick); };
        requestAnimationFrame(tick);
        const t0 = performance.now();
        const fits = [];
        let progress = 0;
        for (let i = 0; i < 3 || performance.now() - t0 < 1500; i++) { // a few rounds, at least 1.5 s
            for (const name of ['itemknn', 'vstan']) {
                const m = await w.model(name);
                const t = performance.now();
                await m.fit(data, { onProgress: () => progress++ });
                fits.push({ name, ms: Math.round(performance.now() - t) });
                const bytes = await m.save(); // megabytes moved back to this thread
                fits.at(-1).bytes = bytes.byteLength;
                await m.dispose();
            }
        }
        const trainMs = performance.now() - t0;
        running = false;
        await new Promise((res) => setTimeout(res, 100));
        const duringTraining = [...long];
        // control: the observer does see a 120 ms task on this thread
        const busy = performance.now();
        while (performance.now() - busy < 120) { /* block the main thread */ }
        await new Promise((res) => setTimeout(res, 300));
        obs.disconnect();
        w.terminate();
        return { long: duringTraining, control: long.slice(duringTraining.length), frames, trainMs, fits, progress, users: data.users };
    });
    console.log(`worker fits: ${JSON.stringify(r.fits)}; ${r.frames} frames in ${Math.round(r.trainMs)} ms`);
    const itemknnMs = r.fits.filter((f) => f.name === 'itemknn').map((f) => f.ms);
    assert.equal(r.users, 100000);
    // each item-kNN fit would be a long task (> 50 ms) on this thread, so its absence means something
    assert.ok(Math.min(...itemknnMs) >= 100, `training takes real time (${JSON.stringify(r.fits)})`);
    assert.ok(r.trainMs >= 1000, `at least a second of training (${Math.round(r.trainMs)} ms)`);
    assert.equal(r.progress, 2 * r.fits.length, 'start and end for each fit');
    assert.ok(r.control.some((d) => d >= 100), `the longtask observer works here (control: ${r.control})`);
    assert.deepEqual(r.long, [], `no long task on the main thread (durations ms: ${r.long})`);
    assert.ok(r.frames >= r.trainMs / 1000 * 10, `the page kept painting (${r.frames} frames in ${Math.round(r.trainMs)} ms)`);
});

test('store: atomic model saves, quota errors, schema upgrade from version 1 to 2', async () => {
    const page = context.pages()[0];
    await openExample(page);
    const r = await page.evaluate(async () => {
        const { openStore, DB_VERSION } = await import('/wasm/store.mjs');
        const { loadEngine } = await import('/wasm/wasmrec.mjs');
        const engine = await loadEngine();
        const data = engine.dataset(engine.generate({ sessions: 500, items: 80, seed: 1 }));
        const a = engine.model('markov').fit(data).save();
        const b = engine.model('itemknn').fit(data).save();
        const out = { version: DB_VERSION };
        const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
        await req(indexedDB.deleteDatabase('t-atomic'));

        const store = await openStore({ name: 't-atomic' });
        out.persistent = store.persistent;
        await store.saveModel('m', a, { note: 'first' });
        // the pointer switch is interrupted (as by a crash or a closed tab): the save fails...
        const put = IDBObjectStore.prototype.put;
        IDBObjectStore.prototype.put = function (...args) {
            if (this.name === 'models') { this.transaction.abort(); }
            return put.apply(this, args);
        };
        try { await store.saveModel('m', b, { note: 'second' }); out.aborted = 'saved'; } catch (e) { out.aborted = `${e.name}: ${e.message}`; }
        IDBObjectStore.prototype.put = put;
        // ...and the previous model is still there, whole, and loads
        const got = await store.loadModel('m');
        out.same = got.bytes.length === a.length && got.bytes.every((x, i) => x === a[i]);
        out.meta = got.meta.note;
        out.loadedName = engine.loadModel(got.bytes).name;
        // the half-written blob was removed
        const db = await req(indexedDB.open('t-atomic'));
        out.blobs = await req(db.transaction('blobs').objectStore('blobs').count());
        db.close();
        // a save that completes replaces it
        await store.saveModel('m', b, { note: 'second' });
        out.after = engine.loadModel((await store.loadModel('m')).bytes).name;

        // quota: the blob write fails with QuotaExceededError -> a clear error, old model intact
        IDBObjectStore.prototype.put = function (...args) {
            if (this.name === 'blobs') throw new DOMException('quota', 'QuotaExceededError');
            return put.apply(this, args);
        };
        try { await store.saveModel('m', a); out.quota = 'saved'; } catch (e) { out.quota = `${e.name}: ${e.message}`; }
        IDBObjectStore.prototype.put = put;
        out.afterQuota = engine.loadModel((await store.loadModel('m')).bytes).name;
        store.close();

        // schema upgrade: a version-1 database (model bytes inline, no blobs/meta) is migrated
        await req(indexedDB.deleteDatabase('t-upgrade'));
        const open1 = indexedDB.open('t-upgrade', 1);
        open1.onupgradeneeded = () => {
            const d = open1.result;
            d.createObjectStore('events', { keyPath: 'id', autoIncrement: true }).createIndex('session', 'session');
            d.createObjectStore('models', { keyPath: 'name' });
        };
        const v1 = await req(open1);
        const tx = v1.transaction(['events', 'models'], 'readwrite');
        tx.objectStore('events').add({ session: 's1', item: 'x', ts: 1000 });
        tx.objectStore('events').add({ session: 's1', item: 'y', ts: 2000 });
        tx.objectStore('models').put({ name: 'personal', bytes: a, savedAt: 5 });
        await new Promise((res) => { tx.oncomplete = res; });
        v1.close();
        const up = await openStore({ name: 't-upgrade' });
        out.upPersistent = up.persistent;
        out.upSessions = await up.sessions();
        const m = await up.loadModel('personal');
        out.upModel = engine.loadModel(m.bytes).name;
        out.upSavedAt = m.savedAt;
        await up.setMeta('k', 1);
        out.upMeta = await up.getMeta('k');
        up.close();
        const raw = await req(indexedDB.open('t-upgrade'));
        out.upVersion = raw.version;
        out.upStores = [...raw.objectStoreNames].sort();
        raw.close();
        await up.forget();
        await req(indexedDB.deleteDatabase('t-atomic'));
        engine.dispose();
        return out;
    });
    assert.equal(r.persistent, true);
    assert.match(r.aborted, /^StoreError: .*save model "m".*interrupted/);
    assert.equal(r.same, true, 'the previous model bytes are intact');
    assert.equal(r.meta, 'first');
    assert.equal(r.loadedName, 'markov');
    assert.equal(r.blobs, 1, 'no orphan blob is left');
    assert.equal(r.after, 'itemknn');
    assert.match(r.quota, /^StoreError: .*no storage left.*QuotaExceededError/);
    assert.equal(r.afterQuota, 'itemknn');
    assert.equal(r.upPersistent, true);
    assert.deepEqual(r.upSessions.map((s) => s.items), [['x', 'y']]);
    assert.equal(r.upModel, 'markov');
    assert.equal(r.upSavedAt, 5);
    assert.equal(r.upMeta, 1);
    assert.equal(r.upVersion, r.version);
    assert.deepEqual(r.upStores, ['blobs', 'events', 'meta', 'models']);
});

test('private mode (indexedDB.open fails): a clear message, and the page works in memory', async () => {
    const page = await context.newPage();
    await page.addInitScript(() => {
        IDBFactory.prototype.open = function () {
            throw new DOMException('The user denied permission to access the database.', 'InvalidStateError');
        };
    });
    await openExample(page);
    assert.equal(await page.getAttribute('#storage', 'data-persistent'), 'false');
    const msg = await page.textContent('#storage');
    assert.match(msg, /IndexedDB could not be opened/);
    assert.match(msg, /in memory/);
    const before = await texts(page, '#recs li');
    await page.locator('#items button').nth(5).click();
    await page.waitForFunction(() => document.querySelectorAll('#session li').length === 1);
    await page.locator('#items button').nth(6).click();
    await page.waitForFunction(() => document.querySelectorAll('#session li').length === 2);
    const after = await texts(page, '#recs li');
    assert.equal(after.length, 10);
    assert.notDeepEqual(after, before, 'recommendations still follow the clicks');
    assert.equal(await page.textContent('#event-count'), '2', 'the clicks are kept in memory');
    await page.click('#forget');
    await page.waitForFunction(() => document.getElementById('event-count').textContent === '0');
    await page.close();
});

test('zero requests to anything but the page origin; no errors in the console', () => {
    const foreign = requests.filter((u) => !u.startsWith('data:') && new URL(u).origin !== origin);
    assert.deepEqual(foreign, []);
    assert.ok(requests.some((u) => u.endsWith('/models/demo-vsknn.safetensors')), 'the pretrained model was fetched');
    assert.ok(requests.some((u) => u.endsWith('/wasm/worker.mjs')), 'the worker was started');
    assert.deepEqual(problems, []);
});
