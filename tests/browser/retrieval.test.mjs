// retrieval.test.mjs: the demo page's retrieval models in headless Chromium: train-and-compare
// offers the two-tower and the pipeline in their own group (from their info), the pipeline's two
// stages chosen from its info's choices with the page's epochs, its card following the stage under
// way, both trained on the demo store well under a minute; the two-stage view shows a session's
// candidates in the retrieval order and the same candidates re-ranked, each with the place it came
// from; the index panel builds HNSW over the two-tower's item vectors and, as ef_search moves,
// measures recall@10 against the exact scan (reaching 0.95) and queries/s; the new-visitor panel
// reads its profile fields from the data view, gives two profiles two different top 10s (and the
// pipeline, whose ranking stage reads the profile too, its own), and follows a click; a new item
// described by its item-table fields alone lands among its kind (its nearest item vectors, a map)
// and reaches some sessions (those whose 10th best it beats), broken down by the session fields.
// Screenshots (build/screenshots/, 1280 x 720): train-retrieval, two-stages, index-tradeoff, new-visitor, new-item.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, openDemo, shot, texts } from './demo-helpers.mjs';

const b = await launch({ width: 1280, height: 720 });
const { page } = b;
test.after(() => b.close());

async function pick(models) {
    for (const box of await page.locator('#model-picker input[type="checkbox"]').all()) {
        const want = models.includes(await box.getAttribute('data-model'));
        if (await box.isChecked() !== want) await box.click();
    }
}

const runsDone = (n) => page.waitForFunction((k) =>
    document.querySelectorAll('.run[data-state="done"], .run[data-state="failed"], .run[data-state="cancelled"]').length >= k, n, { timeout: 180_000 });

/** Each test also runs alone (--test-name-pattern): the page is opened if no test has opened it yet. */
async function ready() {
    if (page.url() === 'about:blank') {
        await openDemo(page, b.server.url);
        await page.waitForSelector('#data[data-view="ready"]');
    }
}

/** A two-tower and a pipeline trained on the demo store (once: the first test trains them). */
async function trained() {
    await ready();
    const have = await page.evaluate(() => window.wasmrecDemo.state.models.filter((m) => m.origin === 'trained').map((m) => m.name));
    if (have.includes('twotower') && have.includes('pipeline')) return;
    await pick(['twotower', 'pipeline']);
    await page.click('#train-start');
    await runsDone(2);
}

test('train and compare: the two-tower and the pipeline from their info, the pipeline\'s stages with progress, in well under a minute', async (t) => {
    await ready();
    // their own group, by what their info says they use (the session and side features)
    const group = await page.locator('#model-picker .pick-group[data-group="retrieval"] input[type="checkbox"]').evaluateAll((l) => l.map((x) => x.dataset.model));
    assert.deepEqual(group, ['twotower', 'pipeline']);
    const info = await page.evaluate(() => {
        const e = window.wasmrecDemo.state.engine;
        const p = e.modelInfo('pipeline').params;
        const names = e.modelNames();
        const choices = (k) => { const x = p.find((q) => q.name === k); return { all: x.choices.split('|').filter((c) => names.includes(c)), def: x.choices.split('|')[x.default] }; };
        return { retrieve: choices('retrieve'), rank: choices('rank') };
    });
    // each stage offers the families of the pipeline's info, at its defaults, with the page's epochs for them
    const options = (sel) => page.locator(`${sel} option`).evaluateAll((l) => l.map((o) => o.value));
    assert.deepEqual(await options('#stage-retrieve'), info.retrieve.all);
    assert.deepEqual(await options('#stage-rank'), info.rank.all);
    assert.deepEqual([info.retrieve.def, info.rank.def], ['twotower', 'deepfm'], 'the engine\'s defaults, which the page\'s epochs are chosen for');
    assert.equal(await page.inputValue('#stage-retrieve'), 'twotower');
    assert.equal(await page.inputValue('#stage-rank'), 'deepfm');
    assert.equal(await page.inputValue('#stage-retrieve-epochs'), '3');
    assert.equal(await page.inputValue('#stage-rank-epochs'), '2');
    assert.equal(await page.inputValue('#set-pipeline-stages'), '');
    // another ranking family: its epochs and its preset's settings, the retrieval stage's kept; a one-pass family has no epochs
    await page.selectOption('#stage-rank', 'sasrec');
    assert.equal(await page.inputValue('#stage-rank-epochs'), '8');
    assert.equal(await page.inputValue('#set-pipeline-stages'), 'rank.max_len=20 rank.lr=0.003', 'SASRec\'s demo preset where it differs from the engine');
    await page.selectOption('#stage-retrieve', 'itemknn');
    assert.equal(await page.isVisible('#stage-retrieve-epochs'), false, 'item-kNN learns in one pass');
    assert.equal(await page.inputValue('#set-pipeline-stages'), 'rank.max_len=20 rank.lr=0.003');
    await page.selectOption('#stage-retrieve', 'twotower');
    await page.selectOption('#stage-rank', 'deepfm');
    assert.equal(await page.inputValue('#set-pipeline-stages'), '');
    assert.equal(await page.isVisible('#stage-retrieve-epochs'), true);
    assert.match(await page.textContent('.pick[data-model="twotower"] .caps'), /Uses history, users, side features; ranks by a score/);

    await pick(['twotower', 'pipeline']);
    const t0 = Date.now();
    await page.click('#train-start');
    // the pipeline's card follows its stages: the retrieval stage first, then the ranking stage
    const card = '.run[data-model="pipeline"]';
    await page.waitForSelector(`${card}[data-stage="retrieve"]`, { timeout: 60_000 });
    assert.match(await page.textContent(`${card} .run-detail`), /^stage 1 of 2: Two-tower, about epoch \d of 3 · step [\d,]+ of about [\d,]+/);
    await page.waitForSelector(`${card}[data-stage="rank"]`, { timeout: 120_000 });
    assert.match(await page.textContent(`${card} .run-detail`), /^stage 2 of 2: DeepFM, about epoch \d of 2/);
    const mid = Number(await page.getAttribute(`${card} progress`, 'value'));
    assert.ok(mid > 0.3 && mid < 1, `the bar is past the first stage: ${mid}`);
    await runsDone(2);
    const wall = Date.now() - t0;
    for (const m of ['twotower', 'pipeline']) assert.equal(await page.getAttribute(`.run[data-model="${m}"]`, 'data-state'), 'done', await page.textContent(`.run[data-model="${m}"]`));
    assert.match(await page.textContent(`${card} .run-detail`), /^Two-tower \(3 epochs\) → DeepFM \(2 epochs\), 100 candidates · test NDCG@10 0\.\d+/);
    const ms = await page.evaluate(() => window.wasmrecDemo.state.results.filter((r) => r.origin === 'trained').map((r) => [r.name, r.trainMs, r.metrics['NDCG@10']]));
    const by = Object.fromEntries(ms.map(([n, tm, v]) => [n, { ms: tm, ndcg: v }]));
    t.diagnostic(`two-tower and pipeline side by side: ${wall} ms; two-tower ${by.twotower.ms} ms NDCG@10 ${by.twotower.ndcg}, ` +
        `pipeline ${by.pipeline.ms} ms NDCG@10 ${by.pipeline.ndcg}`);
    assert.ok(by.pipeline.ms < 60_000, `the pipeline trains in under a minute: ${by.pipeline.ms} ms`);
    assert.ok(by.twotower.ndcg > 0.1 && by.pipeline.ndcg > 0.1, JSON.stringify(by));
    assert.equal(await page.textContent('#results-body tr[data-model="pipeline"] th'), 'Pipeline: Two-tower → DeepFM');
    assert.equal(await page.textContent('#results-body tr[data-model="pipeline"] td:nth-last-child(2)'), '3 + 2', 'the stages\' epochs');
    // the compare chart draws the two-tower's epochs; the pipeline has none of its own
    assert.equal(await page.locator('#compare-legend li[data-model="pipeline"]').count(), 0);
    assert.equal(await page.getAttribute('#compare-legend li[data-model="twotower"]', 'data-points'), '5');
    await shot(page, 'train-retrieval', '#train-actions');
});

test('two stages: a session\'s candidates in the retrieval order, then re-ranked with the ranking scores and the place each came from', async (t) => {
    await trained();
    await page.waitForSelector('#stages[data-two="ready"]');
    assert.equal(await page.inputValue('#two-user'), '1');
    const read = (list) => page.locator(`${list} .two-item`).evaluateAll((l) => l.map((x) => ({
        id: x.dataset.id, place: Number(x.dataset.place), score: Number(x.querySelector('.score').textContent),
        move: x.querySelector('.move')?.textContent ?? null, target: x.classList.contains('target'),
    })));
    assert.equal((await read('#two-candidates')).length, 20, 'the first 20 of each list');
    await page.check('#two-all');
    const cand = await read('#two-candidates');
    const ranked = await read('#two-ranked');
    assert.equal(cand.length, 100, 'the pipeline\'s 100 candidates');
    assert.equal(ranked.length, 100);
    assert.deepEqual(ranked.map((r) => r.id).sort(), cand.map((r) => r.id).sort(), 'stage 2 orders the same candidates');
    assert.notDeepEqual(ranked.map((r) => r.id), cand.map((r) => r.id), 're-ranking changes the order');
    for (const list of [cand, ranked]) for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].score >= list[i].score, 'scores descend');
    // each re-ranked item says where it was retrieved: that place of the left list holds it
    const at = new Map(cand.map((c) => [c.id, c.place]));
    for (const r of ranked) {
        const m = /^from (\d+) (↑(\d+)|↓(\d+)|=)$/.exec(r.move);
        assert.ok(m, r.move);
        assert.equal(Number(m[1]), at.get(r.id), `${r.id} came from place ${at.get(r.id)}`);
        const moved = m[3] ? Number(m[3]) : m[4] ? -Number(m[4]) : 0;
        assert.equal(moved, Number(m[1]) - r.place);
    }
    // the hidden last click, marked where it is (or said to be missing)
    const note = await page.textContent('#two-note');
    assert.match(note, /^For session 1 \(\d+ clicks, its last one hidden\): \d+ of the re-ranked top 10 came from below the retrieval’s top 10/);
    if (cand.some((c) => c.target)) assert.ok(ranked.some((r) => r.target), 'marked in both lists');
    else assert.match(note, /not among the 100 candidates/);
    // over 300 sessions: the retrieval's recall bounds both top-10 rates
    await page.waitForFunction(() => document.getElementById('two-summary').dataset.n === '300', null, { timeout: 60_000 });
    const s = await page.locator('#two-summary').evaluate((e) => ({ ...e.dataset, text: e.textContent }));
    t.diagnostic(s.text);
    assert.ok(Number(s.found) >= Number(s.after) && Number(s.found) >= Number(s.before), JSON.stringify(s));
    assert.ok(Number(s.after) > 0 && Number(s.found) <= 1, JSON.stringify(s));
    await shot(page, 'two-stages', '#stages');
    // another session: other candidates
    await page.click('#two-next');
    await page.waitForSelector('#stages[data-two-query="2"]');
    assert.notDeepEqual((await read('#two-candidates')).map((c) => c.id), cand.map((c) => c.id));
    await page.uncheck('#two-all');
});

test('index: HNSW over the two-tower\'s item vectors, recall@10 against the exact scan and queries/s as ef_search moves', async (t) => {
    await trained();
    await page.waitForSelector('#stages[data-ann="ready"]');
    assert.equal(await page.locator('#ann-model option').count(), 1, 'the two-tower (a pipeline keeps its index inside)');
    const at = async (value) => {
        await page.locator('#ann-ef').evaluate((e, v) => { e.value = String(v); e.dispatchEvent(new Event('input', { bubbles: true })); }, value);
        const ef = await page.locator('#ann-ef-value').textContent();
        await page.waitForSelector(`#stages[data-ann-ef="${ef}"]`);
        return page.locator('#stages').evaluate((e) => ({ ef: Number(e.dataset.annEf), recall: Number(e.dataset.annRecall), qps: Number(e.dataset.annQps) }));
    };
    const max = Number(await page.getAttribute('#ann-ef', 'max'));
    const low = await at(0);
    const mid = await at(Math.round(max / 2));
    const high = await at(max);
    t.diagnostic(`M 4: ef ${low.ef}: recall ${low.recall}, ${Math.round(low.qps)} q/s; ef ${mid.ef}: ${mid.recall}, ${Math.round(mid.qps)} q/s; ` +
        `ef ${high.ef}: ${high.recall}, ${Math.round(high.qps)} q/s; exact ${await page.textContent('#ann-exact')} q/s`);
    assert.equal(low.ef, 10);
    assert.ok(high.recall >= 0.95, `recall@10 at the top of the slider: ${high.recall}`);
    assert.ok(low.recall < high.recall, `a narrower search finds fewer: ${low.recall} < ${high.recall}`);
    assert.ok(low.qps > high.qps, `and is faster: ${low.qps} > ${high.qps}`);
    assert.equal(await page.textContent('#ann-recall'), high.recall.toFixed(3));
    // every width measured stays in the table, the current one marked, the exact scan last
    const rows = await page.locator('#ann-body tr').evaluateAll((l) => l.map((r) => [r.dataset.ef, r.className]));
    assert.deepEqual(rows.map((r) => r[0]), [String(low.ef), String(mid.ef), String(high.ef), '0']);
    assert.equal(rows.find((r) => r[1] === 'current')[0], String(high.ef));
    assert.match(await page.textContent('#ann-note'), /300 query vectors \(sessions of the data\) against 400 item vectors/);
    await shot(page, 'index-tradeoff', '#ann-title');
    // a bigger M: another graph, found better at the same narrow width
    await page.selectOption('#ann-m', '16');
    const wide = await at(0);
    assert.ok(wide.recall > low.recall, `M 16 at ef 10: ${wide.recall} > ${low.recall}`);
    await page.selectOption('#ann-m', '4');
});

test('new visitor: the profile\'s fields from the data view; two profiles, two top 10s; a click changes the list', async () => {
    await trained();
    const col = '#visitor-recs .rec-col[data-model="twotower"]';
    await page.waitForSelector(`${col} .rec`);
    // the fields of the demo store's session table, as the data view read them
    const fields = await page.locator('#visitor-profile select').evaluateAll((l) => l.map((s) => [s.dataset.field, [...s.options].map((o) => o.value)]));
    const view = await page.evaluate(() => window.wasmrecDemo.state.data.sideFields.users.fields.map((f) => [f.name, f.counts.map((c) => c[0])]));
    assert.deepEqual(fields.map(([f]) => f), ['device', 'region']);
    assert.deepEqual(fields.map(([f, v]) => [`user.${f}`, v.slice(1)]), view, 'the values of the data view, "not given" first');
    assert.equal(fields[1][1].length, 5, 'four regions and "not given"');
    assert.deepEqual(await page.locator('#visitor-profile select').evaluateAll((l) => l.map((s) => s.value)), view.map(([, v]) => v[0]),
        'a visitor starts with each field\'s most frequent value');
    const list = () => texts(page, `${col} .rec-name`);
    const profile = async (device, region) => {
        await page.selectOption('#visitor-field-device', device);
        await page.selectOption('#visitor-field-region', region);
        await page.waitForFunction((p) => document.getElementById('visitor-recs').dataset.profile === p, JSON.stringify({ device, region }));
        return list();
    };
    const a = await profile('mobile', 'south');
    const c = await profile('desktop', 'east');
    assert.equal(a.length, 10);
    assert.equal(c.length, 10);
    assert.notDeepEqual(a, c, 'another profile, another top 10');
    // the pipeline's ranking stage (DeepFM) reads the profile too: its scores differ, no "every score equal" note
    const pipe = '#visitor-recs .rec-col[data-model="pipeline"]';
    assert.equal(await page.locator(`${pipe} .rec`).count(), 10);
    assert.equal(await page.locator(`${pipe} .visitor-flat`).count(), 0);
    assert.ok(new Set(await texts(page, `${pipe} .score`)).size > 1, 'the ranking stage tells the candidates apart');
    assert.match(await page.textContent('#visitor-note'), /^Top 10 for a visitor with device desktop, region east and no clicks\.$/);
    assert.equal(await page.locator('#visitor-history li').count(), 0);
    await shot(page, 'new-visitor', '#visitor');
    // a click: into the visitor's clicks, and the list follows it
    const first = await page.locator(`${col} .rec-btn`).first().getAttribute('data-id');
    await page.locator(`${col} .rec-btn`).first().click();
    await page.waitForSelector('#visitor-recs[data-clicks="1"]');
    assert.deepEqual(await page.locator('#visitor-history li').evaluateAll((l) => l.map((x) => x.dataset.id)), [first]);
    assert.notDeepEqual(await list(), c, 'the click changes the list');
    assert.match(await page.textContent('#visitor-note'), /after 1 click\.$/);
    await page.click('#visitor-clear');
    await page.waitForSelector('#visitor-recs[data-clicks="0"]');
    assert.deepEqual(await list(), c, 'starting again gives the profile\'s list back');
    // a field not given is not sent
    await page.selectOption('#visitor-field-region', '');
    await page.waitForFunction(() => document.getElementById('visitor-recs').dataset.profile === '{"device":"desktop"}');
    assert.equal((await list()).length, 10);

});

test('new item: from its features alone it lands among its kind, and reaches some sessions more than others', async () => {
    await trained();
    await page.waitForSelector('#visitor[data-newitem="ready"]');
    assert.equal(await page.locator('#newitem-model option').count(), 1, 'the two-tower (a pipeline makes no item vectors)');
    // the fields of the demo store's item table, as the data view read them
    const fields = await page.locator('#newitem-profile select').evaluateAll((l) => l.map((s) => [s.dataset.field, [...s.options].map((o) => o.value)]));
    const view = await page.evaluate(() => window.wasmrecDemo.state.data.sideFields.items.fields.map((f) => [f.name, f.counts.map((c) => c[0])]));
    assert.deepEqual(fields.map(([f, v]) => [`item.${f}`, v.slice(1)]), view);
    const place = async (features) => {
        for (const [f] of fields) await page.selectOption(`#newitem-field-${f}`, features[f] ?? '');
        await page.waitForFunction((p) => document.getElementById('visitor').dataset.newitemFeatures === p, JSON.stringify(features));
        const near = await page.locator("#newitem-near li").evaluateAll((l) => l.map((x) => x.dataset.category));
        const who = await page.locator('#visitor').evaluate((e) => ({ gets: Number(e.dataset.newitemGets), of: Number(e.dataset.newitemOf) }));
        const groups = await page.locator('#newitem-groups-body tr').evaluateAll((l) => l.map((r) => ({ ...r.dataset })));
        return { near, who, groups };
    };
    const tv = await place({ category: 'TVs' });
    const helmet = await place({ category: 'Helmets', price: 'budget' });
    assert.equal(tv.near.length, 8);
    assert.ok(tv.near.filter((c) => c === 'TVs').length >= 5, `a new TV lands among TVs: ${tv.near}`);
    assert.ok(helmet.near.filter((c) => c === 'Helmets').length >= 5, `a new helmet among helmets: ${helmet.near}`);
    for (const w of [tv.who, helmet.who]) assert.ok(w.of === 300 && w.gets >= 0 && w.gets <= 300, JSON.stringify(w));
    // broken down by the session table's fields: each field's rows add up to the sessions asked
    for (const g of [tv.groups, helmet.groups]) {
        for (const field of ['device', 'region']) {
            const rows = g.filter((r) => r.field === field);
            assert.equal(rows.length, field === 'device' ? 2 : 4);
            assert.equal(rows.reduce((a, r) => a + Number(r.sessions), 0), 300);
        }
    }
    assert.notDeepEqual(tv.groups.map((r) => r.gets), helmet.groups.map((r) => r.gets), 'another item reaches other sessions');
    assert.equal(await page.locator('#newitem-map canvas').count() > 0, true, 'the map is drawn');
    await shot(page, 'new-item', '#newitem-title');

    assert.deepEqual(b.foreign(), [], 'every request went to the page origin');
    assert.deepEqual(b.problems, [], 'no errors in the console');
});
