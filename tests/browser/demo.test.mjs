// demo.test.mjs: the demo page's workflows in headless Chromium at a projector's 1280 x 720: train
// every model in workers (the neural ones 3 epochs) with one shared chart of their curves, compact
// cards and a results table with 95% intervals, saved before "done"; the request counter equals
// what the browser reports (page, workers, service worker); CSV export, the page staying
// responsive meanwhile; a model downloaded and loaded back; a local CSV through the file input,
// then trained on; titles matched, a model of another catalogue warned about, titles surviving a
// reload; a bad file's error with its line and reason, and "skip bad lines"; an empty and a binary
// file say so without that offer; a small sample names no best model; cancelling a queued and a
// running training; playground columns hidden and reordered, the session sticky; the item map's
// legend beside it; "forget everything" asks first; the page works offline once loaded; the page
// is cross-origin isolated and trains on the threaded module, saying on how many threads (online
// and offline, where a training worker starts its threads from the offline copy); no request
// leaves the origin.
// Screenshots (build/screenshots/, 1280 x 720): panel-{data,train,results,results-small,playground,
// inside,models,privacy,forget-confirm}.png, and data-file, data-error, offline.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, openDemo, shot, texts } from './demo-helpers.mjs';
import { startServer } from '../../web/serve.mjs';

const b = await launch({ width: 1280, height: 720 });
const MODELS = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../models');
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

/** Requests the browser reported since `mark` (page, workers, service worker), data: and blob: left out. */
const browserRequests = (mark) => b.events.slice(mark).filter((e) => !/^(data|blob):/.test(e.url));

/** Waits until the page's counter equals the browser's count and stays so for half a second. */
async function countersAgree(mark) {
    let same = 0;
    let last = null;
    for (let i = 0; i < 100; i++) {
        const pw = browserRequests(mark).length;
        const pg = await page.evaluate(() => { const n = window.wasmrecDemo.net.by; return n.page + n.worker + n.sw; });
        last = { pw, pg };
        same = pw === pg ? same + 1 : 0;
        if (same >= 5) return last;
        await page.waitForTimeout(100);
    }
    // a readable difference: each URL and who asked, on both sides
    const tally = (list) => list.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map());
    const theirs = tally(browserRequests(mark).map((e) => `${e.sw ? 'sw' : 'pg'} ${new URL(e.url).pathname}`));
    const ours = tally((await page.evaluate(() => window.wasmrecDemo.net.entries)).map((e) => `${e.who === 'sw' ? 'sw' : 'pg'} ${new URL(e.url).pathname}`));
    const diff = [...new Set([...theirs.keys(), ...ours.keys()])].filter((k) => theirs.get(k) !== ours.get(k))
        .map((k) => `${k}: browser ${theirs.get(k) ?? 0}, page ${ours.get(k) ?? 0}`);
    assert.fail(`the page counts ${last.pg} requests, the browser reports ${last.pw}:\n${diff.join('\n')}`);
}

/**
 * The page is cross-origin isolated and its engine runs the threaded module on the cores; the
 * train panel says on how many threads the models train: the page's engine's until a training
 * worker starts, then the worker's, which shares the cores with the trainings running beside it
 * (together: how many run at once).
 */
async function assertThreaded(what, together = 0) {
    const got = await page.evaluate(() => ({
        isolated: crossOriginIsolated, threads: window.wasmrecDemo.state.engine.threads, build: window.wasmrecDemo.state.engine.build,
        cores: navigator.hardwareConcurrency,
    }));
    assert.equal(got.isolated, true, `${what}: the page is cross-origin isolated (COOP/COEP)`);
    assert.equal(got.build, 'threads', `${what}: the page's engine is the threaded module`);
    assert.equal(got.threads, Math.min(got.cores, 8), `${what}: threads 'auto' is the cores (at most 8)`);
    assert.ok(got.threads >= 2, `${what}: at least two threads on this machine (${got.cores} cores)`);
    const threads = together ? Math.max(1, Math.min(8, Math.floor(got.cores / together))) : got.threads;
    const build = threads > 1 ? 'threads' : 'single';
    const line = page.locator('#train-threads');
    assert.equal(await line.textContent(), threads > 1 ? `Training on ${threads} threads per model (threaded module)`
        : `Training on 1 thread per model (single-thread module: ${together} trainings at once share the ${got.cores} cores)`, what);
    assert.equal(await line.getAttribute('data-threads'), String(threads));
    assert.equal(await line.getAttribute('data-build'), build);
    return got;
}

test('train every model in workers: one chart of the neural curves, compact cards, intervals, saved before done, a true request count', async (t) => {
    const mark = b.events.length;
    await openDemo(page, b.server.url);
    const { threads } = await assertThreaded('before training (the page\'s engine)');
    t.diagnostic(`the page runs the threaded module on ${threads} threads; its training workers share the cores`);
    await shot(page, 'panel-data', '#data');
    // long tasks on the main thread while the workers train
    await watchLongTasks();
    await pick(['pop', 'markov', 'itemknn', 'gru4rec', 'sasrec', 'bert4rec'], 3);
    const t0 = Date.now();
    await page.click('#train-start');
    // while they train: one chart, a curve per neural model that has finished an epoch
    await page.waitForFunction(() => {
        const li = [...document.querySelectorAll('#compare-legend li')];
        return li.filter((x) => Number(x.dataset.points) >= 2).length >= 2 && li.some((x) => x.dataset.state === 'running');
    }, null, { timeout: 90_000 });
    assert.equal(await page.locator('#compare-chart .uplot').count(), 1, 'one shared chart');
    assert.equal(await page.locator('.run .uplot').count(), 0, 'no chart per card');
    assert.deepEqual(await page.locator('#compare-legend li').evaluateAll((l) => l.map((x) => x.dataset.model)), ['gru4rec', 'sasrec', 'bert4rec']);
    await shot(page, 'panel-train', '#train-actions');
    // the cards and the chart fit the projector together
    const fit = await page.evaluate(() => ({
        cards: Math.max(...[...document.querySelectorAll('.run')].map((c) => c.getBoundingClientRect().bottom)),
        chart: document.querySelector('.compare').getBoundingClientRect().bottom,
        onePass: Math.max(...[...document.querySelectorAll('.run.one-pass')].map((c) => c.getBoundingClientRect().height)),
    }));
    assert.ok(fit.cards <= 720 && fit.chart <= 720, `six cards and the chart within 720 px: ${JSON.stringify(fit)}`);
    assert.ok(fit.onePass < 70, `one-pass cards are compact (${fit.onePass} px)`);

    await runsDone(6);
    // the line now reports the training workers' own engines: two at a time share the cores
    await assertThreaded('after training (the workers\' engines)', 2);
    // saved before "done": the six models are in IndexedDB the moment the last card says so
    const stored = await page.evaluate(async () => (await window.wasmrecDemo.state.store.listModels()).map((m) => m.name).sort());
    assert.deepEqual(stored, ['demo|bert4rec', 'demo|gru4rec', 'demo|itemknn', 'demo|markov', 'demo|pop', 'demo|sasrec']);
    t.diagnostic(`six models (the neural ones 3 epochs) trained, evaluated and saved in ${Date.now() - t0} ms`);
    for (const m of ['pop', 'markov', 'itemknn', 'gru4rec', 'sasrec', 'bert4rec']) {
        const run = page.locator(`.run[data-model="${m}"]`);
        assert.equal(await run.getAttribute('data-state'), 'done', await run.textContent());
        assert.match(await run.locator('.run-status').textContent(), /done in [\d.]+ (ms|s), saved/);
    }
    for (const m of ['gru4rec', 'sasrec', 'bert4rec']) {
        assert.equal(await page.getAttribute(`#compare-legend li[data-model="${m}"]`, 'data-points'), '3', `${m}: a point per epoch`);
    }
    assert.match(await page.locator('.run[data-model="gru4rec"] .run-detail').textContent(), /^3 epochs/);
    assert.equal(await page.locator('.run[data-model="gru4rec"] progress').evaluate((p) => p.value), 1);
    // the other curve: training loss
    await page.check('input[name="compare-metric"][value="loss"]');
    assert.match(await page.textContent('#compare-caption'), /Training loss/);
    assert.equal(await page.getAttribute('#compare-legend li[data-model="sasrec"]', 'data-points'), '3');
    await page.check('input[name="compare-metric"][value="validNdcg"]');
    const longest = await longestTask();
    t.diagnostic(`longest main-thread task while training: ${Math.round(longest)} ms`);
    assert.ok(longest < 400, `the page stays responsive while the workers train (longest task ${longest} ms)`);

    // the results table: the pretrained rows and the six new ones, metrics between 0 and 1, each with its interval
    const trained = page.locator('#results-body tr[data-origin="trained"]');
    assert.equal(await trained.count(), 6);
    for (const m of ['itemknn', 'gru4rec']) {
        const row = `#results-body tr[data-origin="trained"][data-model="${m}"]`;
        assert.equal(await page.textContent(`${row} td[data-metric="users"]`), '5,000', 'the evaluated users');
        const [hr, ndcg, mrr, cov] = await Promise.all(['HR@10', 'NDCG@10', 'MRR@10', 'coverage@10']
            .map(async (k) => Number(await page.textContent(`${row} td[data-metric="${k}"] .val`))));
        for (const v of [hr, ndcg, mrr, cov]) assert.ok(v > 0 && v <= 1, `${m}: metric in (0, 1]`);
        assert.ok(hr >= ndcg && ndcg >= mrr, `${m}: HR >= NDCG >= MRR`);
        const [lo, hi] = (await page.textContent(`${row} td[data-metric="NDCG@10"] .ci`)).split('–').map(Number);
        assert.ok(lo <= ndcg && ndcg <= hi && hi - lo < 0.05, `${m}: NDCG@10 ${ndcg} in its 95% interval [${lo}, ${hi}]`);
    }
    // a best is marked only clear of the runner-up's interval, else the table says why not
    const bests = await page.locator('#results-body td.best').count();
    assert.ok(bests > 0 || await page.isVisible('#results-warn'), 'a best, or the reason there is none');
    await shot(page, 'panel-results', '.results-head');

    // CSV export: a Blob download, one line per row
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const csv = fs.readFileSync(await csvDownload.path(), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'model,trained,data,users,HR@10,NDCG@10,MRR@10,coverage@10,HR@10_ci95_low,HR@10_ci95_high,' +
        'NDCG@10_ci95_low,NDCG@10_ci95_high,MRR@10_ci95_low,MRR@10_ci95_high,epochs,train_seconds,params');
    assert.equal(csv.length, 1 + await page.locator('#results-body tr').count());
    assert.ok(csv.some((l) => l.startsWith('gru4rec,trained,')));

    // the playground has a column for each trained model
    assert.equal(await page.locator('.rec-col[data-model="gru4rec"][data-origin="trained"]').count(), 1);
    await page.locator('#items button.item').nth(10).click();
    assert.equal(await page.locator('.rec-col[data-model="gru4rec"][data-origin="trained"] .rec').count(), 10);

    // look inside: the trained GRU4Rec's loss curve
    await page.selectOption('#inside-model', { label: 'GRU4Rec (trained here)' });
    assert.equal(await page.locator('#inside-curve .uplot').count(), 1);

    // the request counter: every request the browser reports since the page opened, the page's,
    // the workers' (six trainings) and the service worker's (what it passes on, its offline copy)
    await page.waitForSelector('#offline[data-state="ready"]');
    const { pw } = await countersAgree(mark);
    const by = await page.evaluate(() => window.wasmrecDemo.net.by);
    t.diagnostic(`requests: the browser reports ${pw}; the page counts page ${by.page} + workers ${by.worker} + service worker ${by.sw}`);
    assert.ok(by.worker >= 6 && by.sw > 30, 'the workers and the service worker are counted');
    assert.equal(await page.textContent('#net-total'), String(pw));
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

/** Drops a file on the page, as the browser does when one is dragged in. */
const drop = (name, text) => page.evaluate(([n, t]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([t], n, { type: 'text/plain' }));
    window.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true }));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
}, [name, text]);

test('a MovieLens file dropped, then its titles: how many matched; a model of another catalogue is a warning; titles survive a reload', async () => {
    const lines = [];
    for (let u = 1; u <= 30; u++) for (let j = 0; j < 5; j++) lines.push(`${u}\t${1 + ((u * 7 + j * 3) % 12)}\t${1 + (j % 5)}\t${881250000 + u * 100 + j}`);
    const udata = lines.join('\n') + '\n';
    await drop('u.data', udata);
    await page.waitForFunction(() => document.getElementById('sum-source').textContent.startsWith('u.data'));
    assert.equal(await page.textContent('#sum-format'), 'MovieLens');
    assert.equal(await page.textContent('#sum-users-label'), 'Users');
    assert.equal(await page.textContent('#sum-users'), '30');
    assert.equal(await page.evaluate(() => document.body.classList.contains('dragging')), false, 'the drop zone calms down');
    // titles for 10 of the 12 items, and two ids this data does not have
    const titles = [];
    for (const i of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 41, 42]) titles.push(`${i}|Film number ${i} (1995)|01-Jan-1995||http://example.invalid/|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0`);
    const file = path.join(b.tmp, 'u.item');
    fs.writeFileSync(file, titles.join('\n') + '\n');
    await page.setInputFiles('#titles', file);
    await page.waitForFunction(() => [...document.querySelectorAll('#items button.item')].some((x) => x.textContent.includes('Film number 3 (1995)')));
    assert.equal(await page.locator('#items button.item').count(), 12);
    assert.equal(await page.textContent('#sum-titles'), 'Titles: 10 of 12 items matched (u.item).');
    assert.match(await page.textContent('#status'), /10 of 12 items matched/);

    // the demo store's item-kNN knows none of these films
    await page.setInputFiles('#model-file', path.join(MODELS, 'demo-itemknn.safetensors'));
    await page.waitForFunction(() => /Loaded demo-itemknn/.test(document.getElementById('model-file-note').textContent));
    const note = await page.textContent('#model-file-note');
    assert.match(note, /this model knows 0 of the 12 items of this data: it was trained on another catalogue/);
    assert.match(await page.getAttribute('#model-file-note', 'class'), /warn/);
    assert.match(await page.textContent('.rec-col[data-origin="file"] .col-foot'), /knows none of the 12 items/);

    // trained here, the model file keeps the titles: after a reload, with u.data alone, the films have names
    await pick(['itemknn']);
    await page.click('#train-start');
    await page.waitForSelector('.run[data-model="itemknn"][data-state="done"]');
    const key = await page.evaluate(() => window.wasmrecDemo.state.data.key);
    assert.ok((await page.evaluate(async () => (await window.wasmrecDemo.state.store.listModels()).map((m) => m.name))).includes(`${key}|itemknn`),
        'saved when it says done');
    await openDemo(page, b.server.url);
    await drop('u.data', udata);
    await page.waitForFunction(() => document.getElementById('sum-source').textContent.startsWith('u.data'));
    await page.waitForSelector('.rec-col[data-model="itemknn"][data-origin="trained"] .rec');
    const names = await texts(page, '.rec-col[data-model="itemknn"][data-origin="trained"] .rec-name');
    assert.ok(names.length > 0 && names.every((n) => /^(Film number \d+ \(1995\)|11|12)$/.test(n)), `film names, not bare ids: ${names}`);
    assert.ok(names.some((n) => n.startsWith('Film number')));
    await page.waitForFunction(() => [...document.querySelectorAll('#items button.item')].some((x) => x.textContent.includes('Film number 3 (1995)')));
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

test('an empty file and a binary one say so, without offering to skip bad lines', async () => {
    const cases = [
        ['empty.csv', Buffer.alloc(0), /empty\.csv: the file is empty/],
        ['ml-100k.zip', Buffer.from([0x50, 0x4b, 3, 4, 20, 0, 0, 0, 8, 0, 0x9c, 0x5a, 0, 0, 0xff, 0xfe]), /ml-100k\.zip: this is not a text file of interactions: it is a zip archive/],
    ];
    for (const [name, bytes, sentence] of cases) {
        const file = path.join(b.tmp, name);
        fs.writeFileSync(file, bytes);
        await page.setInputFiles('#file', file);
        await page.waitForFunction((n) => !document.getElementById('data-error').hidden && document.getElementById('data-error').textContent.includes(n), name);
        assert.match(await page.textContent('#data-error'), sentence);
        assert.equal(await page.locator('#data-error button').count(), 0, `${name}: no "skip bad lines and retry"`);
        assert.doesNotMatch(await page.textContent('#data-error'), /Fix that line/);
    }
    await shot(page, 'data-error-binary', '#data');
});

test('a 20-session OTTO sample: the users tested and the intervals, and no "best" model on so few', async () => {
    const lines = [];
    for (let s = 0; s < 20; s++) {
        const events = [];
        for (let j = 0; j < 3 + (s % 5); j++) events.push({ aid: 100 + ((s * 3 + j * 7) % 15), ts: 1659304800 + s * 1000 + j * 10, type: j % 4 ? 'clicks' : 'carts' });
        lines.push(JSON.stringify({ session: s, events }));
    }
    const file = path.join(b.tmp, 'otto-sample.jsonl');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    await page.setInputFiles('#file', file);
    await page.waitForFunction(() => document.getElementById('sum-source').textContent.startsWith('otto-sample.jsonl'));
    assert.equal(await page.textContent('#sum-format'), 'OTTO JSON lines');
    await pick(['pop', 'markov', 'itemknn']);
    await page.click('#train-start');
    await runsDone(3);
    const users = await texts(page, '#results-body td[data-metric="users"]');
    assert.equal(users.length, 3);
    assert.ok(users.every((u) => Number(u) > 0 && Number(u) <= 20), `the evaluated users, at most 20: ${users}`);
    assert.equal(await page.locator('#results-body td.best').count(), 0, 'no best on so few users');
    assert.ok(await page.isVisible('#results-warn'));
    assert.match(await page.textContent('#results-warn'), new RegExp(`only ${users[0]} test sessions: fewer than 200, too few to name a best model`));
    assert.equal(await page.locator('#results-body td[data-metric="NDCG@10"] .ci').count(), 3, 'each NDCG@10 with its interval');
    await shot(page, 'panel-results-small', '.results-head');
});

test('cancel: a queued training never starts, a running one stops', async () => {
    await page.click('#use-demo');
    await page.waitForFunction(() => document.getElementById('sum-items').textContent === '400');
    await pick(['gru4rec', 'sasrec', 'bert4rec'], 50);
    await page.click('#train-start');
    await page.waitForSelector('.run[data-model="bert4rec"][data-state="queued"]');
    await page.locator('.run[data-model="bert4rec"] button').click();
    assert.equal(await page.getAttribute('.run[data-model="bert4rec"]', 'data-state'), 'cancelled');
    await page.waitForSelector('#compare-legend li[data-model="gru4rec"]:not([data-points="0"])');
    await page.click('#train-cancel');
    await runsDone(3);
    for (const m of ['gru4rec', 'sasrec']) assert.equal(await page.getAttribute(`.run[data-model="${m}"]`, 'data-state'), 'cancelled');
    assert.equal(await page.isDisabled('#train-cancel'), true);
});

test('playground: one row of columns, hidden and reordered by mouse and keyboard, the session in view, names in full', async () => {
    if (await page.isEnabled('#clear')) await page.click('#clear');
    for (let i = 0; i < 4; i++) await page.locator('#items button.item').nth(5 + 37 * i).click();
    const cols = page.locator('#rec-columns .rec-col');
    const n = await cols.count();
    assert.ok(n >= 8, `the pretrained and the trained models (${n} columns)`);
    const tops = await cols.evaluateAll((c) => c.map((x) => Math.round(x.getBoundingClientRect().top)));
    assert.ok(tops.every((y) => y === tops[0]), 'every column in one row');
    await shot(page, 'panel-playground', '#playground');
    // names and attention chips are not cut
    const cut = await page.evaluate(() => [...document.querySelectorAll('.rec-name, .heat-name, .why')]
        .filter((e) => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
    assert.deepEqual(cut, [], 'every name shows in full');

    const order = () => cols.evaluateAll((c) => c.map((x) => x.dataset.key));
    const before = await order();
    // mouse: the first column one to the right
    await page.click(`.rec-col[data-key="${before[0]}"] button[data-act="right"]`);
    assert.deepEqual(await order(), [before[1], before[0], ...before.slice(2)]);
    // keyboard: the focus stays on the button that moved; Enter moves it back
    assert.equal(await page.evaluate(() => `${document.activeElement.dataset.key} ${document.activeElement.dataset.act}`), `${before[0]} right`);
    await page.focus(`.rec-col[data-key="${before[0]}"] button[data-act="left"]`);
    await page.keyboard.press('Enter');
    assert.deepEqual(await order(), before);
    // hide one with the keyboard, show it again from the bar
    await page.focus(`.rec-col[data-key="${before[1]}"] button[data-act="hide"]`);
    await page.keyboard.press('Enter');
    assert.deepEqual(await order(), [before[0], ...before.slice(2)]);
    assert.equal(await page.evaluate(() => document.activeElement.dataset.act), 'show', 'the focus goes to its "show" button');
    assert.match(await page.textContent('#col-bar'), new RegExp(`${n - 1} of ${n} columns`));
    await page.keyboard.press('Enter');
    assert.deepEqual(await order(), before);
    // the session stays in view while the page scrolls through the columns
    await page.evaluate(() => window.scrollBy({ top: 350, behavior: 'instant' }));
    const pos = await page.evaluate(() => ({ session: document.querySelector('.session').getBoundingClientRect().top,
        header: document.querySelector('header.top').getBoundingClientRect().bottom }));
    assert.ok(Math.abs(pos.session - pos.header) < 3, `the session sticks under the header: ${JSON.stringify(pos)}`);
});

test('look inside: the legend beside the map within the screen, and what the percentage means', async () => {
    await page.selectOption('#inside-model', { label: 'GRU4Rec (pretrained)' });
    await shot(page, 'panel-inside', '#inside');
    const box = await page.evaluate(() => {
        const r = (s) => document.querySelector(s).getBoundingClientRect();
        return { map: r('#map'), legend: r('#map-legend'), items: document.querySelectorAll('#map-legend li').length };
    });
    assert.ok(box.items >= 10, 'a legend entry per category');
    assert.ok(box.legend.left >= box.map.right, 'the legend is beside the map');
    assert.ok(box.legend.bottom <= 720 && box.map.bottom <= 720, `map and legend above the fold: ${JSON.stringify(box)}`);
    const sentence = await page.textContent('#map-explained');
    const m = sentence.match(/These two axes show (\d+)% of how the 400 item vectors spread out; the other (\d+)% lies in directions/);
    assert.ok(m && Number(m[1]) + Number(m[2]) === 100, sentence);
    assert.match(sentence, /items far apart here really differ, but items that look close may still differ/);
    await shot(page, 'panel-models', '#models');
});

test('works offline once loaded: the server stops, a reload still shows recommendations', async (t) => {
    // a warm load through the service worker: the page's count still equals the browser's
    // (opened at /web/: Chromium reports the worker's fetch of the / redirect twice, the server sees it once)
    const mark = b.events.length;
    await openDemo(page, `${b.server.url}web/`);
    await page.waitForSelector('#offline[data-state="ready"]');
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const { pw } = await countersAgree(mark);
    t.diagnostic(`a warm load: ${pw} requests, the page's and the service worker's passing them on`);
    const port = b.server.port;
    await b.server.close();
    try {
        await openDemo(page, `http://localhost:${port}/web/`);
        assert.ok(await page.locator('.rec-col[data-model="itemknn"][data-origin="pretrained"] .rec').count() === 10, 'recommendations without a server');
        await shot(page, 'offline');
        // the offline copies keep the server's COOP/COEP headers: still isolated, still threads,
        // and a training worker starts its helper threads from the offline copy too
        await assertThreaded('offline');
        await pick(['pop']);
        await page.click('#train-start');
        await page.waitForSelector('.run[data-model="pop"]:is([data-state="done"], [data-state="failed"])', { timeout: 60_000 });
        assert.match(await page.textContent('.run[data-model="pop"] .run-status'), /^done in/, await page.textContent('.run[data-model="pop"]'));
        await assertThreaded('offline, after training', 1); // alone: every core
    } finally {
        b.server = await startServer({ port });
    }
});

test('forget everything: IndexedDB, the offline copy and the click log are gone', async () => {
    await openDemo(page, b.server.url);
    await page.locator('#items button.item').nth(3).click();
    await page.waitForFunction(async () => (await window.wasmrecDemo.state.store.events()).length > 0);
    const kept = () => page.evaluate(async () => ({ events: (await window.wasmrecDemo.state.store.events()).length,
        models: (await window.wasmrecDemo.state.store.listModels()).length, caches: (await caches.keys()).length }));
    const had = await kept();
    assert.ok(had.models > 0 && had.caches > 0);
    // it asks first: Escape, then Cancel, leave everything as it was
    await page.click('#forget');
    await page.waitForSelector('#forget-dialog[open]');
    assert.match(await page.textContent('#forget-what'), /saved models? and the offline copy/);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'forget-cancel', 'the safe choice has the focus');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#forget-dialog:not([open])', { state: 'attached' });
    assert.deepEqual(await kept(), had, 'Escape deletes nothing');
    assert.equal(await page.textContent('#forget-note'), 'Nothing was deleted.');
    await page.click('#forget');
    await page.waitForSelector('#forget-dialog[open]');
    await shot(page, 'panel-forget-confirm', '#privacy');
    await page.click('#forget-cancel');
    assert.deepEqual(await kept(), had, 'Cancel deletes nothing');
    await page.click('#forget');
    await page.click('#forget-confirm');
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
    await shot(page, 'panel-privacy', '#privacy');
    assert.equal(await page.textContent('#net-other'), '0');

    assert.deepEqual(b.foreign(), [], 'every request went to the page origin');
    assert.deepEqual(b.problems, [], 'no errors in the console');
});
