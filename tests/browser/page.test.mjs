// page.test.mjs: the demo page end to end in headless Chromium (Debian's, via playwright-core):
// it starts with the pretrained models from models/ (recommendations before any training), the
// playground's recommendations follow every click with the "why" of item-kNN and SASRec, the
// catalogue filters, the privacy panel counts zero requests to other sites, the binding also runs
// in a module Worker, and nothing but the page origin is contacted.
// Screenshots: build/screenshots/{top,playground,projector-playground}.png. Run with `make test-browser`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, openDemo, shot, texts } from './demo-helpers.mjs';

test('demo page: pretrained models recommend at once, clicks change them, nothing leaves the origin', async (t) => {
    const b = await launch();
    t.after(() => b.close());
    const { page } = b;

    const { response, text } = await openDemo(page, b.server.url);
    assert.equal(new URL(page.url()).pathname, '/web/', '/ redirects to /web/');
    assert.equal(response.headers()['cross-origin-opener-policy'], 'same-origin');
    assert.equal(response.headers()['cross-origin-embedder-policy'], 'require-corp');
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /https?:|\*/, 'the policy names no other origin');
    assert.match(text, /Ready in [\d.]+ (ms|s)/, 'the status gives the time to the first recommendation');
    const timings = await page.evaluate(() => window.wasmrecDemo.timings);
    t.diagnostic(`cold load: first recommendation after ${Math.round(timings.firstRecommendation)} ms ` +
        `(engine ${Math.round(timings.engine)}, demo store ${Math.round(timings.data)})`);

    // the data summary of the generated demo store
    assert.equal(await page.textContent('#sum-users'), '5,000');
    assert.equal(await page.textContent('#sum-items'), '400');
    assert.equal(await page.textContent('#sum-format'), 'CSV / TSV');

    // pretrained models, one column each, before any training
    const cols = page.locator('#rec-columns .rec-col');
    assert.ok(await cols.count() >= 3, 'a column per pretrained model');
    const knn = page.locator('#rec-columns .rec-col[data-model="itemknn"]');
    assert.equal(await knn.getAttribute('data-origin'), 'pretrained');
    assert.equal(await knn.locator('.rec').count(), 10, 'item-kNN suggests for an empty session (popularity)');
    const recs = () => texts(page, '#rec-columns .rec-col[data-model="itemknn"] .rec-name');
    const sas = () => texts(page, '#rec-columns .rec-col[data-model="sasrec"] .rec-name');
    let before = await recs();
    let beforeSas = await sas();

    // three clicks: every model's list changes, clicked items are not suggested, scores descend
    const picks = [];
    for (let i = 0; i < 3; i++) {
        const button = page.locator('#items button.item').nth(5 + 37 * i);
        picks.push((await button.textContent()).replace(/^✓/, '').trim());
        await button.click();
        await page.waitForFunction((n) => document.querySelectorAll('#session li').length === n, i + 1);
        const now = await recs();
        assert.equal(now.length, 10);
        assert.notDeepEqual(now, before, `item-kNN follows click ${i + 1}`);
        const nowSas = await sas();
        assert.notDeepEqual(nowSas, beforeSas, `SASRec follows click ${i + 1}`);
        for (const title of picks) assert.ok(!now.includes(title), `${title} is in the session, so not suggested`);
        const scores = (await texts(page, '#rec-columns .rec-col[data-model="itemknn"] .score')).map(Number);
        for (let j = 1; j < scores.length; j++) assert.ok(scores[j - 1] >= scores[j], 'scores descend');
        before = now;
        beforeSas = nowSas;
    }
    const chips = (await texts(page, '#session li')).map((s) => s.replace(/^\d+/, '').trim());
    assert.deepEqual(chips, picks, 'the session shows the clicked items in order');
    assert.equal(await page.locator('#items button.item.in-session').count(), 3, 'session items are marked');

    // "why": item-kNN names the history item behind each suggestion; SASRec shows its attention
    const engineHas = await page.evaluate(() => {
        const ms = window.wasmrecDemo.state.models;
        const session = window.wasmrecDemo.state.session;
        const can = (name, fn) => { try { fn(ms.find((m) => m.name === name).model); return true; } catch { return false; } };
        return {
            explain: can('itemknn', (m) => m.explain(session, m.itemId(0))),
            attention: can('sasrec', (m) => m.attention(session)),
            itemMap: can('sasrec', (m) => m.itemMap()),
        };
    });
    if (engineHas.explain) {
        const why = await texts(page, '#rec-columns .rec-col[data-model="itemknn"] .why');
        assert.equal(why.length, 10, 'each item-kNN suggestion says why');
        assert.ok(why.every((w) => w.includes(picks[2])), 'item-kNN scores by the last click');
    } else t.diagnostic('the engine has no explain() yet: the "why" of item-kNN is not shown');
    if (engineHas.attention) {
        assert.equal(await page.locator('.rec-col[data-model="sasrec"] .heat-cell').count(), 3, 'a heat cell per session item');
    } else t.diagnostic('the engine has no attention() for sasrec yet: no heat strip');
    if (engineHas.itemMap) {
        assert.equal(await page.locator('#map canvas').count() > 0, true, 'the embedding map is drawn');
    } else t.diagnostic('the engine has no itemMap() for sasrec yet: no embedding map');

    await shot(page, 'playground', '#playground');
    // a projector's 1280 x 720: three suggestion columns still side by side
    await page.setViewportSize({ width: 1280, height: 720 });
    await shot(page, 'projector-playground', '#playground');
    const tops = await page.locator('#rec-columns .rec-col').evaluateAll((cols) => cols.slice(0, 3).map((c) => c.getBoundingClientRect().top));
    assert.ok(tops.every((y) => Math.abs(y - tops[0]) < 2), 'three columns in a row at 1280 px');
    await page.setViewportSize({ width: 1440, height: 900 });

    // the category filter and the search narrow the catalogue
    const firstCategory = await page.locator('#category option').nth(1).getAttribute('value');
    await page.selectOption('#category', firstCategory);
    assert.equal(await page.locator('#items h4').count(), 1);
    await page.selectOption('#category', '');
    await page.fill('#search', 'helmet');
    const found = await texts(page, '#items button.item');
    assert.ok(found.length > 0 && found.every((s) => /helmet/i.test(s)), 'search finds by title');
    await page.fill('#search', '');

    // clear: an empty session again
    await page.click('#clear');
    assert.equal(await page.locator('#session li').count(), 0);

    // keyboard: the catalogue's items are buttons reachable with Tab, Enter adds one
    await page.locator('#items button.item').first().focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('#session li').length === 1);

    // the privacy panel counts what the page fetched: its own files only
    assert.equal(await page.textContent('#net-other'), '0');
    assert.ok(Number(await page.textContent('#net-total')) > 5, 'the page counts its own files');
    await shot(page, 'top');

    // the same binding in a module Worker
    const fromWorker = await page.evaluate(() => new Promise((resolve) => {
        const w = new Worker('/tests/browser/worker-probe.mjs', { type: 'module' });
        w.onmessage = (e) => { resolve(e.data); w.terminate(); };
        w.onerror = (e) => resolve({ ok: false, err: e.message || 'worker failed to start' });
        w.postMessage('go');
    }));
    assert.equal(fromWorker.ok, true, fromWorker.err);
    assert.equal(fromWorker.recs.length, 5);

    // warm load: the same profile again
    await openDemo(page, b.server.url);
    const warm = await page.evaluate(() => window.wasmrecDemo.timings.firstRecommendation);
    t.diagnostic(`warm load: first recommendation after ${Math.round(warm)} ms`);
    assert.equal(await page.locator('#session li').count(), 1, 'the last session comes back after a reload');

    assert.deepEqual(b.foreign(), [], 'every request went to the page origin');
    assert.ok(b.requests.some((u) => u.endsWith('/wasm/wasmrec-mt.wasm')), 'the threaded module was fetched');
    assert.deepEqual(b.problems, [], 'no errors in the console');
});
