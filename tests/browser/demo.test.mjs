// demo.test.mjs: the demo page's workflows in headless Chromium: train two models in workers
// (item-kNN and GRU4Rec with 2 epochs) with curves and a results table, CSV export, the page
// staying responsive meanwhile; a model downloaded and loaded back; a local CSV through the file
// input, then trained on; a bad file's error with its line and reason, and "skip bad lines";
// cancelling a queued and a running training; "forget everything" empties storage; the page
// works offline once loaded; no request leaves the origin.
// Screenshots: tests/browser/screenshots/{train,results,inside,data-file,data-error,privacy,offline}.png
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, openDemo, shot, texts } from './demo-helpers.mjs';
import { startServer } from '../../web/serve.mjs';

const b = await launch();
const { page } = b;
test.after(() => b.close());

/** Ticks exactly the given models in the picker and sets the neural ones' epochs. */
async function pick(models, epochs = 2) {
    for (const box of await page.locator('#model-picker input[type="checkbox"]').all()) {
        const want = models.includes(await box.getAttribute('data-model'));
        if (await box.isChecked() !== want) await box.click();
    }
    for (const m of models) {
        const input = page.locator(`#epochs-${m}`);
        if (await input.count()) await input.fill(String(epochs));
    }
}

/** Starts recording the page's long main-thread tasks; longestTask() gives the longest since, in ms. */
const watchLongTasks = () => page.evaluate(() => {
    window.longTasks = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.longTasks.push(e.duration); }).observe({ type: 'longtask' });
});
const longestTask = async () => Math.max(0, ...await page.evaluate(() => window.longTasks));

const runsDone = (n) => page.waitForFunction((k) =>
    document.querySelectorAll('.run[data-state="done"], .run[data-state="failed"], .run[data-state="cancelled"]').length >= k, n, { timeout: 90_000 });

test('train item-kNN and GRU4Rec in workers: curves, results table, CSV, saved models', async (t) => {
    await openDemo(page, b.server.url);
    // long tasks on the main thread while the workers train
    await watchLongTasks();
    await pick(['itemknn', 'gru4rec'], 2);
    const t0 = Date.now();
    await page.click('#train-start');
    await page.waitForSelector('.run[data-model="gru4rec"][data-state="running"]');
    await runsDone(2);
    t.diagnostic(`item-kNN and GRU4Rec (2 epochs) trained and evaluated in ${Date.now() - t0} ms`);
    for (const m of ['itemknn', 'gru4rec']) {
        const run = page.locator(`.run[data-model="${m}"]`);
        assert.equal(await run.getAttribute('data-state'), 'done', await run.textContent());
        assert.match(await run.locator('.run-status').textContent(), /done in [\d.]+ (ms|s)/);
    }
    // GRU4Rec's curve: a uPlot chart with a point per epoch
    assert.equal(await page.locator('.run[data-model="gru4rec"] .uplot canvas').count(), 1, 'the curve is drawn');
    assert.match(await page.locator('.run[data-model="gru4rec"] .run-detail').textContent(), /^2 epochs/);
    assert.equal(await page.locator('.run[data-model="gru4rec"] progress').evaluate((p) => p.value), 1);
    const longest = await longestTask();
    t.diagnostic(`longest main-thread task while training: ${Math.round(longest)} ms`);
    assert.ok(longest < 400, `the page stays responsive while the workers train (longest task ${longest} ms)`);

    // the results table: the pretrained rows and the two new ones, metrics between 0 and 1
    const trained = page.locator('#results-body tr[data-origin="trained"]');
    assert.equal(await trained.count(), 2);
    for (const m of ['itemknn', 'gru4rec']) {
        const cells = await texts(page, `#results-body tr[data-origin="trained"][data-model="${m}"] td`);
        const [hr, ndcg, mrr, cov] = cells.slice(1, 5).map(Number);
        for (const v of [hr, ndcg, mrr, cov]) assert.ok(v > 0 && v <= 1, `${m}: metric in (0, 1]: ${cells}`);
        assert.ok(hr >= ndcg && ndcg >= mrr, `${m}: HR >= NDCG >= MRR`);
    }
    await shot(page, 'train', '#train');
    await shot(page, 'results', '.results-head');

    // CSV export: a Blob download, one line per row
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const csv = fs.readFileSync(await csvDownload.path(), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'model,trained,data,HR@10,NDCG@10,MRR@10,coverage@10,epochs,train_seconds,params');
    assert.equal(csv.length, 1 + await page.locator('#results-body tr').count());
    assert.ok(csv.some((l) => l.startsWith('gru4rec,trained,')));

    // the playground has a column for each trained model
    assert.equal(await page.locator('.rec-col[data-model="gru4rec"][data-origin="trained"]').count(), 1);
    await page.locator('#items button.item').nth(10).click();
    assert.equal(await page.locator('.rec-col[data-model="gru4rec"][data-origin="trained"] .rec').count(), 10);

    // both models are saved in IndexedDB for the next visit
    const stored = await page.evaluate(async () => (await window.wasmrecDemo.state.store.listModels()).map((m) => m.name).sort());
    assert.deepEqual(stored, ['demo|gru4rec', 'demo|itemknn']);

    // look inside: the trained GRU4Rec's loss curve
    await page.selectOption('#inside-model', { label: 'GRU4Rec (trained here)' });
    assert.equal(await page.locator('#inside-curve .uplot').count(), 1);
    await shot(page, 'inside', '#inside');
});

test('a model downloads as safetensors and loads back from a file', async () => {
    const button = page.locator('#model-list li[data-model="gru4rec"][data-origin="trained"] button');
    const [dl] = await Promise.all([page.waitForEvent('download'), button.click()]);
    const file = path.join(b.tmp, 'gru4rec-here.safetensors');
    await dl.saveAs(file);
    const bytes = fs.readFileSync(file);
    const headerLen = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8'));
    assert.equal(header.__metadata__.model, 'gru4rec');
    await page.setInputFiles('#model-file', file);
    await page.waitForSelector('#model-list li[data-origin="file"]');
    assert.match(await page.textContent('#model-file-note'), /Loaded gru4rec-here\.safetensors/);
    assert.equal(await page.locator('.rec-col[data-origin="file"] .rec').count(), 10, 'the loaded model recommends');
    // a file that is not a model: a readable error
    const junk = path.join(b.tmp, 'junk.safetensors');
    fs.writeFileSync(junk, 'not a model');
    await page.setInputFiles('#model-file', junk);
    await page.waitForFunction(() => /Could not load junk\.safetensors: /.test(document.getElementById('model-file-note').textContent));
});

test('a big local file (MovieLens-1M size) is parsed off the main thread', async (t) => {
    const lines = [];
    for (let i = 0; i < 1_000_000; i++) lines.push(`${1 + (i % 6040)}::${1 + ((i * 7919) % 3706)}::4::${978300000 + i}`);
    const file = path.join(b.tmp, 'ratings.dat');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    await watchLongTasks();
    await page.setInputFiles('#file', file);
    await page.waitForFunction(() => document.getElementById('sum-source').textContent.startsWith('ratings.dat'), null, { timeout: 60_000 });
    assert.equal(await page.textContent('#sum-format'), 'MovieLens');
    assert.equal((await page.textContent('#sum-events')).replace(/\D/g, ''), '1000000');
    const longest = await longestTask();
    t.diagnostic(`longest main-thread task while loading a 24 MB file: ${Math.round(longest)} ms`);
    assert.ok(longest < 400, `the page stays responsive while a big file loads (longest task ${longest} ms)`);
});

test('a local CSV through the file input: format, summary, catalogue, training on it', async () => {
    const lines = ['session,item,timestamp'];
    const items = ['apple', 'banana', 'cherry', 'date', 'elder', 'fig', 'grape', 'honeydew'];
    for (let s = 0; s < 60; s++) {
        for (let j = 0; j < 3 + (s % 4); j++) lines.push(`s${s},${items[(s + j * (1 + (s % 3))) % items.length]},${1000 * s + j}`);
    }
    const file = path.join(b.tmp, 'fruit.csv');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    await page.setInputFiles('#file', file);
    await page.waitForFunction(() => document.getElementById('sum-source').textContent.startsWith('fruit.csv'));
    assert.equal(await page.textContent('#sum-format'), 'CSV / TSV');
    assert.equal(await page.textContent('#sum-users'), '60');
    assert.equal(await page.textContent('#sum-items'), String(items.length));
    assert.equal(await page.textContent('#sum-events'), String(lines.length - 1));
    assert.equal(await page.textContent('#sum-skipped'), '0');
    assert.deepEqual((await texts(page, '#items button.item')).sort(), [...items].sort(), 'the catalogue is the file\'s items');
    assert.equal(await page.locator('#session li').count(), 0, 'a new data set starts a new session');
    // the demo store's models do not know these items; a model loaded from a file is still offered
    assert.equal(await page.locator('.rec-col[data-origin="pretrained"]').count(), 0);
    assert.equal(await page.locator('#results-body tr.empty').count(), 1, 'no results yet for this file');
    await shot(page, 'data-file', '#data');

    await pick(['itemknn', 'markov']);
    await page.click('#train-start');
    await runsDone(2);
    assert.equal(await page.locator('#results-body tr[data-origin="trained"]').count(), 2);
    await page.locator('#items button.item', { hasText: 'apple' }).click();
    const recs = await texts(page, '.rec-col[data-model="itemknn"][data-origin="trained"] .rec-name');
    assert.ok(recs.length >= 5 && recs.length <= items.length - 1, `item-kNN recommends fruit: ${recs}`);
    assert.ok(!recs.includes('apple'), 'not the item just clicked');
});

test('a MovieLens file dropped on the page, then its titles: format detected, users, film names', async () => {
    const lines = [];
    for (let u = 1; u <= 30; u++) for (let j = 0; j < 5; j++) lines.push(`${u}\t${1 + ((u * 7 + j * 3) % 12)}\t${1 + (j % 5)}\t${881250000 + u * 100 + j}`);
    // a real drop event carrying a File, as the browser makes one when a file is dragged in
    await page.evaluate((text) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], 'u.data', { type: 'text/plain' }));
        window.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true }));
        window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, lines.join('\n') + '\n');
    await page.waitForFunction(() => document.getElementById('sum-source').textContent.startsWith('u.data'));
    assert.equal(await page.textContent('#sum-format'), 'MovieLens');
    assert.equal(await page.textContent('#sum-users-label'), 'Users');
    assert.equal(await page.textContent('#sum-users'), '30');
    assert.equal(await page.evaluate(() => document.body.classList.contains('dragging')), false, 'the drop zone calms down');
    const titles = [];
    for (let i = 1; i <= 12; i++) titles.push(`${i}|Film number ${i} (1995)|01-Jan-1995||http://example.invalid/|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0`);
    const file = path.join(b.tmp, 'u.item');
    fs.writeFileSync(file, titles.join('\n') + '\n');
    await page.setInputFiles('#titles', file);
    await page.waitForFunction(() => [...document.querySelectorAll('#items button.item')].some((x) => x.textContent.includes('Film number 3 (1995)')));
    assert.equal(await page.locator('#items button.item').count(), 12);
});

test('a bad file shows its line and reason; "skip bad lines" loads the rest and counts them', async () => {
    const file = path.join(b.tmp, 'bad.csv');
    fs.writeFileSync(file, 'session,item\n1,a\n1,\n1,b\n2,a\n2,b\n2,c\n');
    const before = await page.textContent('#sum-source');
    await page.setInputFiles('#file', file);
    await page.waitForSelector('#data-error:not([hidden])');
    const error = await page.textContent('#data-error');
    assert.match(error, /bad\.csv:3/, 'the file and line');
    assert.match(error, /field 2 \(item\): empty item id/, 'the field and reason');
    assert.equal(await page.getAttribute('#data-error', 'role'), 'alert');
    assert.equal(await page.textContent('#sum-source'), before, 'the previous data stays');
    await shot(page, 'data-error', '#data');

    await page.click('#data-error button');
    await page.waitForFunction(() => document.getElementById('sum-source').textContent.startsWith('bad.csv'));
    assert.equal(await page.isHidden('#data-error'), true);
    assert.equal(await page.textContent('#sum-skipped'), '1');
    assert.match(await page.textContent('#sum-skip-reason'), /line 3|bad\.csv:3/);
    assert.match(await page.textContent('#sum-skip-reason'), /empty item id/);
    assert.equal(await page.textContent('#sum-events'), '5');
    await page.uncheck('#skip-bad');
});

test('cancel: a queued training never starts, a running one stops', async () => {
    await page.click('#use-demo');
    await page.waitForFunction(() => document.getElementById('sum-items').textContent === '400');
    await pick(['gru4rec', 'sasrec', 'bert4rec'], 50);
    await page.click('#train-start');
    await page.waitForSelector('.run[data-model="bert4rec"][data-state="queued"]');
    await page.locator('.run[data-model="bert4rec"] button').click();
    assert.equal(await page.getAttribute('.run[data-model="bert4rec"]', 'data-state'), 'cancelled');
    await page.waitForSelector('.run[data-model="gru4rec"] .uplot');
    await page.click('#train-cancel');
    await runsDone(3);
    for (const m of ['gru4rec', 'sasrec']) assert.equal(await page.getAttribute(`.run[data-model="${m}"]`, 'data-state'), 'cancelled');
    assert.equal(await page.isDisabled('#train-cancel'), true);
});

test('works offline once loaded: the server stops, a reload still shows recommendations', async () => {
    await openDemo(page, b.server.url);
    await page.waitForSelector('#offline[data-state="ready"]');
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const port = b.server.port;
    await b.server.close();
    try {
        await openDemo(page, `http://localhost:${port}/web/`);
        assert.ok(await page.locator('.rec-col[data-model="itemknn"][data-origin="pretrained"] .rec').count() === 10, 'recommendations without a server');
        await shot(page, 'offline');
    } finally {
        b.server = await startServer({ port });
    }
});

test('forget everything: IndexedDB, the offline copy and the click log are gone', async () => {
    await openDemo(page, b.server.url);
    await page.locator('#items button.item').nth(3).click();
    await page.waitForFunction(async () => (await window.wasmrecDemo.state.store.events()).length > 0);
    await page.click('#forget');
    await page.waitForFunction(() => /Done/.test(document.getElementById('forget-note').textContent));
    const after = await page.evaluate(async () => ({
        dbs: (await indexedDB.databases()).map((d) => d.name),
        caches: await caches.keys(),
        workers: (await navigator.serviceWorker.getRegistrations()).length,
        events: (await window.wasmrecDemo.state.store.events()).length,
        models: (await window.wasmrecDemo.state.store.listModels()).length,
    }));
    assert.ok(!after.dbs.includes('wasmrec'), `the database is deleted (${after.dbs})`);
    assert.deepEqual(after.caches, []);
    assert.equal(after.workers, 0);
    assert.equal(after.events, 0);
    assert.equal(after.models, 0);
    assert.match((await texts(page, '#stored li'))[0], /^0 clicks/);
    assert.equal(await page.locator('#session li').count(), 0);
    await shot(page, 'privacy', '#privacy');
    assert.equal(await page.textContent('#net-other'), '0');

    assert.deepEqual(b.foreign(), [], 'every request went to the page origin');
    assert.deepEqual(b.problems, [], 'no errors in the console');
});
