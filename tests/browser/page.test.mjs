// page.test.mjs: the demo page end to end in headless Chromium (Debian's, via playwright-core).
// Starts web/serve.mjs on a free port, opens /web/, waits until the model is trained, clicks three
// items and checks that the recommendations appear and change, that the page fetched nothing from
// any other origin and logged no errors, that the binding also runs in a module Worker, and saves
// tests/browser/screenshots/page.png.
// Run with `make test-browser`.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../../web/serve.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SHOTS = path.join(HERE, 'screenshots');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];

test('demo page: loads, trains, recommends after clicks, stays on its origin', async (t) => {
    const server = await startServer({ port: 0 });
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmrec-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: '/usr/bin/chromium', headless: true, args: ARGS,
        viewport: { width: 1280, height: 900 },
    });
    t.after(async () => {
        await context.close();
        await server.close();
        fs.rmSync(profile, { recursive: true, force: true });
    });

    const page = context.pages()[0] ?? await context.newPage();
    const requests = [];
    const problems = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

    const response = await page.goto(server.url);
    assert.equal(new URL(page.url()).pathname, '/web/', '/ redirects to /web/');
    assert.equal(response.status(), 200);
    assert.equal(response.headers()['cross-origin-opener-policy'], 'same-origin');
    assert.equal(response.headers()['cross-origin-embedder-policy'], 'require-corp');

    await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', { timeout: 60_000 });
    const status = await page.textContent('#status');
    assert.equal(await page.getAttribute('#status', 'data-state'), 'ready', `status: ${status}`);
    assert.match(status, /Ready/);
    assert.match(status, /\d+(\.\d+)? ms/, 'the status line gives the training time');

    // the catalogue: item buttons grouped by category, and a category filter
    const nItems = await page.locator('#items button.item').count();
    assert.ok(nItems >= 100, `catalogue shows the items (${nItems})`);
    assert.ok(await page.locator('#items h3').count() >= 2, 'grouped by category');
    assert.ok(await page.locator('#category option').count() >= 3, 'a category filter');

    // the empty session shows popular items
    await page.waitForSelector('#recs li');
    const recsText = () => page.locator('#recs .rec-title').allTextContents();
    let previous = await recsText();
    assert.equal(previous.length, 10);

    // three clicks, each changes the recommendations
    const picks = [];
    for (let i = 0; i < 3; i++) {
        const button = page.locator('#items button.item').nth(7 + 23 * i);
        picks.push((await button.textContent()).replace(/^✓\s*/, '').trim());
        await button.click();
        await page.waitForFunction((n) => document.querySelectorAll('#session li').length === n, i + 1);
        const now = await recsText();
        assert.equal(now.length, 10, `ten recommendations after click ${i + 1}`);
        assert.notDeepEqual(now, previous, `recommendations change after click ${i + 1}`);
        for (const title of picks) assert.ok(!now.includes(title), `${title} is in the session, so not recommended`);
        const scores = (await page.locator('#recs .score').allTextContents()).map(Number);
        for (let j = 1; j < scores.length; j++) assert.ok(scores[j - 1] >= scores[j], 'scores descend');
        previous = now;
    }
    const chips = (await page.locator('#session li').allTextContents()).map((s) => s.replace(/^\d+/, '').trim());
    assert.deepEqual(chips, picks, 'the session shows the clicked items in order');

    // the category filter narrows the list
    const firstCategory = await page.locator('#category option').nth(1).getAttribute('value');
    await page.selectOption('#category', firstCategory);
    assert.equal(await page.locator('#items h3').count(), 1);
    await page.selectOption('#category', '');

    assert.equal(await page.locator('#items button.item.in-session').count(), 3, 'session items are marked');
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.evaluate(() => { window.scrollTo(0, 0); document.getElementById('items').scrollTop = 0; });
    await page.mouse.move(1, 1);
    await page.screenshot({ path: path.join(SHOTS, 'page.png'), fullPage: false });

    // clear empties the session and goes back to popular items
    await page.click('#clear');
    assert.equal(await page.locator('#session li').count(), 0);
    assert.equal((await recsText()).length, 10);

    // the same binding in a module Worker
    const fromWorker = await page.evaluate(() => new Promise((resolve) => {
        const w = new Worker('/tests/browser/worker-probe.mjs', { type: 'module' });
        w.onmessage = (e) => { resolve(e.data); w.terminate(); };
        w.onerror = (e) => resolve({ ok: false, err: e.message || 'worker failed to start' });
        w.postMessage('go');
    }));
    assert.equal(fromWorker.ok, true, fromWorker.err);
    assert.equal(fromWorker.recs.length, 5);

    const origin = new URL(server.url).origin;
    const foreign = requests.filter((u) => new URL(u).origin !== origin && !u.startsWith('data:'));
    assert.deepEqual(foreign, [], 'every request went to the page origin');
    assert.ok(requests.some((u) => u.endsWith('/wasm/wasmrec.wasm')), 'the module was fetched');
    assert.deepEqual(problems, [], 'no errors or warnings in the console');
});
