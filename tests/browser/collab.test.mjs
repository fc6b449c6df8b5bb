// collab.test.mjs: the demo page's features, labels and collaborative models in headless Chromium:
// the data view lists the demo store's side fields (kind, values, examples, the engine's own count)
// and its label share, and a MovieLens file's u.user / u.item tables with a label and a drop; a
// label the engine refuses is an error that leaves the data as it was; train-and-compare offers
// every collaborative and CTR model, the protocol is chosen (leave-one-out, random with fractions),
// and the AUC, GAUC and logloss columns appear on labelled held-out data only, with a number for
// FM and "–" (and the reason from the model's info) where a model's scores are no probabilities;
// the "pick a user" playground shows two users different top 10s from MF, with their histories;
// the new-visitor panel labels a numeric field by a loaded model file's own bucket edges.
// Screenshots (build/screenshots/, 1280 x 720): data-features, data-features-movielens,
// results-ctr, pick-a-user.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, openDemo, shot, texts } from './demo-helpers.mjs';
import { loadEngine } from '../../wasm/wasmrec.mjs';

const b = await launch({ width: 1280, height: 720 });
const { page } = b;
test.after(() => b.close());

/** Ticks exactly the given models in the picker and sets the epochs of those that train in epochs. */
async function pick(models, epochs = {}) {
    for (const box of await page.locator('#model-picker input[type="checkbox"]').all()) {
        const want = models.includes(await box.getAttribute('data-model'));
        if (await box.isChecked() !== want) await box.click();
    }
    for (const [m, n] of Object.entries(epochs)) await page.locator(`#epochs-${m}`).fill(String(n));
}

const runsDone = (n) => page.waitForFunction((k) =>
    document.querySelectorAll('.run[data-state="done"], .run[data-state="failed"], .run[data-state="cancelled"]').length >= k, n, { timeout: 120_000 });

/** Each test also runs alone (--test-name-pattern): the page is opened if no test has opened it yet. */
async function ready() {
    if (page.url() === 'about:blank') await openDemo(page, b.server.url);
}

const cell = (model, metric) => page.textContent(`#results-body tr[data-model="${model}"][data-origin="trained"] td[data-metric="${metric}"] .val`);
const headers = () => page.locator('#results thead th').evaluateAll((l) => l.map((x) => x.dataset.metric ?? x.textContent));

test('data view: the demo store\'s side fields with their kinds and values, and its label\'s positive share', async () => {
    await openDemo(page, b.server.url);
    await page.waitForSelector('#data[data-view="ready"]');
    const fields = await page.locator('#features-body tr').evaluateAll((l) => l.map((r) => ({
        field: r.dataset.field, kind: r.dataset.kind, values: Number(r.querySelector('[data-col="values"]').textContent.replace(/,/g, '')),
        examples: r.querySelector('[data-col="examples"]').textContent,
    })));
    assert.deepEqual(fields.map((f) => f.field), ['user.device', 'user.region', 'item.category', 'item.group', 'item.price']);
    assert.ok(fields.every((f) => f.kind === 'categorical'), JSON.stringify(fields));
    const by = Object.fromEntries(fields.map((f) => [f.field, f]));
    assert.equal(by['user.device'].values, 2);
    assert.match(by['user.device'].examples, /desktop \([\d,]+\), mobile \([\d,]+\)/);
    assert.equal(by['item.group'].values, 2);
    assert.equal(by['item.price'].values, 3);
    // the engine's own encoding: the fields' values add up to its feature count
    const engineCount = await page.evaluate(() => window.wasmrecDemo.state.data.dataset.features);
    assert.equal(fields.reduce((a, f) => a + f.values, 0), engineCount);
    const note = await page.textContent('#features-note');
    assert.match(note, /sessions\.csv: 5,000 of 5,000 sessions have features/);
    assert.match(note, /items\.csv: 400 of 400 items have features/);
    assert.match(note, new RegExp(`${engineCount} feature values in all`));
    assert.match(note, /used by [^.]*\bfm\b/, 'the models that use side features, from their info');
    // the label: the purchase column, its share of positives
    assert.match(await page.textContent('#rating-info'), /Rating column label: 2 values: 0 \([\d.]+%\) · 1 \([\d.]+%\)/);
    const share = await page.locator('#label-share').evaluate((e) => ({ pos: Number(e.dataset.positive), n: Number(e.dataset.events), text: e.textContent }));
    assert.equal(share.n, 44502);
    assert.ok(share.pos / share.n > 0.2 && share.pos / share.n < 0.6, `a purchase share between 20% and 60%: ${share.text}`);
    assert.match(share.text, /^Label label==1: [\d.]+% positive/);
    assert.equal(await page.inputValue('#label-expr'), 'label==1');
    await shot(page, 'data-features', '.data-more');
});

test('data view: a MovieLens file with its user and item tables, a label and a drop; a refused label leaves the data as it was', async () => {
    await ready();
    const dir = b.tmp;
    const udata = [];
    for (let u = 1; u <= 40; u++) for (let j = 0; j < 6; j++) udata.push(`${u}\t${1 + ((u * 5 + j * 7) % 30)}\t${1 + ((u + j) % 5)}\t${881250000 + u * 100 + j}`);
    const uuser = [];
    for (let u = 1; u <= 40; u++) uuser.push(`${u}|${14 + ((u * 7) % 47)}|${u % 3 ? 'M' : 'F'}|${['student', 'writer', 'engineer', 'artist'][u % 4]}|${55100 + (u % 6)}`);
    const uitem = [];
    for (let i = 1; i <= 30; i++) {
        const flags = Array.from({ length: 19 }, (_, g) => ((i + g) % 6 === 0 || g === 8 ? 1 : 0));
        uitem.push(`${i}|Film ${i} (19${60 + i})|01-Jan-19${60 + i}||http://example.invalid/|${flags.join('|')}`);
    }
    for (const [name, lines] of [['u.data', udata], ['u.user', uuser], ['u.item', uitem]]) fs.writeFileSync(path.join(dir, name), lines.join('\n') + '\n');
    await page.setInputFiles('#file', path.join(dir, 'u.data'));
    await page.waitForFunction(() => document.getElementById('sum-source').textContent.startsWith('u.data'));
    await page.waitForSelector('#data[data-view="ready"]');
    assert.match(await page.textContent('#features-note'), /No side features/);
    assert.match(await page.textContent('#rating-info'), /Rating column rating: 5 values: 1 \(20\.0%\)/);
    assert.match(await page.textContent('#label-info'), /No label/);

    await page.setInputFiles('#users-file', path.join(dir, 'u.user'));
    await page.waitForFunction(() => document.getElementById('features-body').textContent.includes('user.age'));
    await page.setInputFiles('#items-file', path.join(dir, 'u.item'));
    await page.waitForFunction(() => document.getElementById('features-body').textContent.includes('item.genre'));
    await page.waitForSelector('#data[data-view="ready"]');
    const kinds = Object.fromEntries(await page.locator('#features-body tr').evaluateAll((l) => l.map((r) =>
        [r.dataset.field, `${r.dataset.kind} ${r.querySelector('[data-col="values"]').textContent}`])));
    assert.deepEqual(kinds, {
        'user.age': 'numeric 10', 'user.gender': 'categorical 2', 'user.occupation': 'categorical 4', 'user.zip': 'categorical 6',
        'item.genre': 'multi 19', 'item.year': 'numeric 10',
    });
    assert.match(await page.textContent('#features-body tr[data-field="user.age"] [data-col="examples"]'), /^\d+–\d+ in 10 quantile buckets/);
    const note = await page.textContent('#features-note');
    assert.match(note, /u\.user: 40 of 40 users have features · u\.item: 30 of 30 items have features/);
    const count = await page.evaluate(() => window.wasmrecDemo.state.data.dataset.features);
    assert.equal(count, 10 + 2 + 4 + 6 + 19 + 10, 'the engine counts the fields\' values');
    assert.match(note, new RegExp(`${count} feature values in all`));

    // a kind set by hand: the age as a category (a feature per age), read again by the engine
    await page.fill('#kinds-expr', 'user.age=categorical');
    await page.click('#kinds-apply');
    await page.waitForSelector('#features-body tr[data-field="user.age"][data-kind="categorical"]');
    const ages = new Set(uuser.map((l) => l.split('|')[1])).size;
    assert.equal(await page.textContent('#features-body tr[data-field="user.age"] [data-col="values"]'), String(ages));
    assert.equal(await page.evaluate(() => window.wasmrecDemo.state.data.options.featureKinds['user.age']), 'categorical', 'the training workers parse with it too');
    // a kind the engine refuses: its message, and the kinds in use come back
    await page.fill('#kinds-expr', 'user.height=numeric');
    await page.click('#kinds-apply');
    await page.waitForSelector('#data-error:not([hidden])');
    assert.match(await page.textContent('#data-error'), /not applied[\s\S]*height/);
    assert.equal(await page.inputValue('#kinds-expr'), 'user.age=categorical');
    // the time context: each event's hour and weekday, as context fields
    await page.check('#time-hour');
    await page.check('#time-weekday');
    await page.click('#kinds-apply');
    await page.waitForSelector('#features-body tr[data-field="ctx.weekday"]');
    assert.equal(await page.getAttribute('#features-body tr[data-field="ctx.hour"]', 'data-side'), 'context');
    assert.match(await page.textContent('#features-note'), /Events: context: hour \(categorical\), weekday \(categorical\)/);
    // back to the detected kinds, without the time context
    await page.fill('#kinds-expr', '');
    await page.uncheck('#time-hour');
    await page.uncheck('#time-weekday');
    await page.click('#kinds-apply');
    await page.waitForSelector('#features-body tr[data-field="user.age"][data-kind="numeric"]');
    assert.equal(await page.locator('#features-body tr[data-side="context"]').count(), 0);
    await page.waitForFunction(() => window.wasmrecDemo.state.data.dataset.features > 0);

    // a label and a drop: the data is read again, the share is of the events left
    await page.fill('#label-expr', 'rating>=4');
    await page.fill('#drop-expr', 'rating==3');
    await page.click('#label-apply');
    await page.waitForSelector('#label-share');
    assert.equal(await page.evaluate(() => window.wasmrecDemo.state.data.dataset.labelled), true);
    assert.match(await page.textContent('#label-info'), /Drop rating==3: 48 events left out, 192 kept/);
    assert.match(await page.textContent('#label-share'), /^Label rating>=4: 50\.0% positive \(96 of 192 events\)/);
    assert.match(await page.textContent('#features-note'), /u\.user: 40 of 40 users/, 'the side tables stay');
    await shot(page, 'data-features-movielens', '.data-more');

    // a label on a column the data does not have: the engine's error, and the data as it was
    await page.fill('#label-expr', 'stars>=4');
    await page.click('#label-apply');
    await page.waitForSelector('#data-error:not([hidden])');
    assert.match(await page.textContent('#data-error'), /not applied/);
    assert.equal(await page.inputValue('#label-expr'), 'rating>=4', 'the label in use comes back');
    assert.equal(await page.evaluate(() => window.wasmrecDemo.state.data.source.label), 'rating>=4');

    // a CSV with columns beyond user, item and time: each event's context, as the engine encoded it
    const rows = ['user,item,timestamp,device,order_id'];
    for (let i = 0; i < 300; i++) rows.push(`u${i % 30},i${i % 17},${i},${i % 3 ? 'mobile' : 'desktop'},o${i}`);
    fs.writeFileSync(path.join(dir, 'events.csv'), rows.join('\n') + '\n');
    await page.setInputFiles('#file', path.join(dir, 'events.csv'));
    await page.waitForFunction(() => document.getElementById('sum-source').textContent.startsWith('events.csv'));
    await page.waitForSelector('#data[data-view="ready"]');
    assert.match(await page.textContent('#features-note'),
        /Events: context: device \(categorical\); left out: order_id \(a different value on 100% of the events; ctx\.order_id=categorical keeps it\) \(read by [^)]*\bfm\b/);
    assert.equal(await page.evaluate(() => window.wasmrecDemo.state.data.dataset.features), 2);
    assert.equal(await page.textContent('#features-body tr[data-field="ctx.device"] [data-col="examples"]'), 'mobile (200), desktop (100)');
});

test('train and compare: every collaborative and CTR model, the protocol chosen, AUC and logloss columns where they apply', async (t) => {
    await ready();
    await page.click('#use-demo');
    await page.waitForFunction(() => document.getElementById('sum-items').textContent === '400' && window.wasmrecDemo.state.data.kind === 'demo');
    const offered = await page.locator('#model-picker input[type="checkbox"]').evaluateAll((l) => l.map((x) => x.dataset.model));
    for (const m of ['mf', 'gmf', 'mlp', 'neumf', 'ease', 'lr', 'fm', 'ffm', 'deepfm']) assert.ok(offered.includes(m), `${m} is offered`);
    // grouped by what the models use (their info), not by name
    const users = await page.locator('#model-picker .pick-group[data-group="users"] input[type="checkbox"]').evaluateAll((l) => l.map((x) => x.dataset.model));
    assert.deepEqual(users.sort(), ['deepfm', 'ffm', 'fm', 'gmf', 'lr', 'mf', 'mlp', 'neumf']);
    assert.match(await page.textContent('.pick[data-model="fm"] .caps'), /Uses users, labels, side features \(no history\); predicts a probability/);
    // no model of the demo store knows its users yet: the playground says how to get one
    assert.match(await page.textContent('#users-intro'), /\(mf, [^)]*fm[^)]*\)[^:]*: train one/);
    assert.equal(await page.locator('#user-recs .rec-col').count(), 0);
    // leave-one-out: the ranking table, no AUC column
    assert.equal(await page.inputValue('#protocol'), 'loo');
    assert.ok(!(await headers()).includes('AUC'), 'no AUC column under leave-one-out');
    assert.match(await page.textContent('#protocol-note'), /label==1.*leave-one-out leaves out/);

    // random held-out events 80/10/10 on the labelled demo store
    await page.selectOption('#protocol', 'random');
    assert.equal(await page.isVisible('#split-box'), true, 'the fractions');
    assert.equal(await page.inputValue('#frac-train'), '0.8');
    assert.equal(await page.locator('#results-body tr.empty').count(), 1, 'the leave-one-out rows are not mixed in');
    assert.match(await page.textContent('#results-seen'), /more results? for this data under another evaluation/);
    await pick(['itemknn', 'fm', 'mf'], { fm: 6, mf: 8 });
    const t0 = Date.now();
    await page.click('#train-start');
    await runsDone(3);
    t.diagnostic(`item-kNN, FM (6 epochs) and MF (8) on random held-out events: ${Date.now() - t0} ms`);
    for (const m of ['itemknn', 'fm', 'mf']) assert.equal(await page.getAttribute(`.run[data-model="${m}"]`, 'data-state'), 'done', await page.textContent(`.run[data-model="${m}"]`));
    const cols = await headers();
    for (const k of ['HR@10', 'NDCG@10', 'MRR@10', 'AUC', 'GAUC', 'logloss']) assert.ok(cols.includes(k), `a ${k} column: ${cols}`);
    assert.ok(!cols.includes('RMSE'), 'no RMSE: the demo store has labels, not ratings');
    assert.ok(!cols.includes('coverage@10'), 'no coverage in a held-out report');
    const auc = Number(await cell('fm', 'AUC'));
    const logloss = Number(await cell('fm', 'logloss'));
    t.diagnostic(`FM: AUC ${auc}, logloss ${logloss}; item-kNN AUC ${await cell('itemknn', 'AUC')}; MF AUC ${await cell('mf', 'AUC')}`);
    assert.ok(auc > 0.7 && auc <= 1, `FM's AUC on the planted device x group label: ${auc}`);
    assert.ok(logloss > 0 && logloss < 0.693, `FM's logloss below a coin's: ${logloss}`);
    assert.ok(Number(await cell('itemknn', 'AUC')) < auc, 'item-kNN ranks, it does not see the features');
    assert.equal(await cell('itemknn', 'logloss'), '–', 'item-kNN\'s scores are no probabilities');
    assert.match(await page.getAttribute('#results-body tr[data-model="itemknn"] td[data-metric="logloss"]', 'title'), /scores are not probabilities/);
    // mf learns from the labels (its loss "auto": bce on labelled data, from its info): a logloss too
    assert.equal(await page.inputValue('#set-mf-loss'), '');
    assert.match(await page.textContent('#set-mf-loss option[value=""]'), /auto: bce on labels, else bpr/);
    assert.match(await page.textContent('.run[data-model="mf"] .run-detail'), /loss bce/);
    assert.ok(Number(await cell('mf', 'logloss')) > 0, 'MF trained with BCE has a logloss');
    assert.match(await page.textContent('#results-users'), /Test events/);
    assert.equal(await page.textContent('#results-body tr[data-model="fm"] td[data-metric="queries"]'),
        await page.textContent('#results-body tr[data-model="itemknn"] td[data-metric="queries"]'), 'the same test events for both');
    assert.match(await page.textContent('#results-hint'), /random held-out events \(80\/10\/10 .*label label==1/);
    // saved under their protocol, beside any leave-one-out model of the same name
    const stored = await page.evaluate(async () => (await window.wasmrecDemo.state.store.listModels()).map((m) => m.name));
    assert.ok(stored.includes('demo|fm|random'), stored.join(', '));
    await shot(page, 'results-ctr', '.results-head');

    // the CSV follows the table's columns
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const csv = fs.readFileSync(await dl.path(), 'utf8').trim().split('\n');
    assert.match(csv[0], /^model,trained,data,protocol,queries,HR@10,NDCG@10,MRR@10,AUC,GAUC,logloss,/);
    assert.equal(csv.length, 4);

    // back to leave-one-out: the pretrained rows, and no AUC column
    await page.selectOption('#protocol', 'loo');
    assert.ok(!(await headers()).includes('AUC'));
    assert.ok(await page.locator('#results-body tr[data-origin="pretrained"]').count() >= 3);
});

test('pick a user: MF gives two users two different top 10s, with their histories; models switch on and off', async () => {
    await ready();
    await pick(['mf', 'gmf'], { mf: 10, gmf: 4 });
    await page.click('#train-start');
    await runsDone(2);
    const col = (m) => `#user-recs .rec-col[data-model="${m}"][data-origin="trained"]`;
    await page.waitForSelector(`${col('mf')} .rec`);
    // the users of the data, first one picked
    assert.equal(await page.inputValue('#user-pick'), '1');
    const lengths = await page.evaluate(() => [...window.wasmrecDemo.state.data.lengths.slice(0, 2)]);
    assert.match(await page.textContent('#user-history-title'), new RegExp(`^History of 1: ${lengths[0]} events`));
    assert.equal(await page.locator('#user-history li.hist-item').count(), lengths[0]);
    assert.ok(await page.locator('#user-history .mark.pos').count() + await page.locator('#user-history .mark.neg').count() === lengths[0],
        'each event marked by the label');
    const first = await texts(page, `${col('mf')} .rec-name`);
    assert.equal(first.length, 10);
    await shot(page, 'pick-a-user', '#users');

    await page.selectOption('#user-pick', '2');
    await page.waitForSelector('#user-recs[data-user="2"]');
    assert.match(await page.textContent('#user-history-title'), new RegExp(`^History of 2: ${lengths[1]} events`));
    const second = await texts(page, `${col('mf')} .rec-name`);
    assert.equal(second.length, 10);
    assert.notDeepEqual(second, first, 'MF: another user, another top 10');
    // the other model's column, and its overlap with the first column
    assert.equal(await page.locator(`${col('gmf')} .rec`).count(), 10);
    assert.match(await page.textContent('#user-recs .rec-col:nth-child(2) .col-foot'), /\d+ of 10 also in the first column/);
    await page.click('#user-models button[data-model="gmf"]');
    assert.equal(await page.locator(col('gmf')).count(), 0, 'switched off');
    assert.equal(await page.getAttribute('#user-models button[data-model="gmf"]', 'aria-pressed'), 'false');
    await page.click('#user-models button[data-model="gmf"]');
    assert.equal(await page.locator(col('gmf')).count(), 1, 'and on again');
    // searching narrows the choice
    await page.fill('#user-search', '4999');
    await page.waitForFunction(() => document.getElementById('user-pick').value === '4999');
    assert.match(await page.textContent('#user-count'), /^1 of 5,000/);
    assert.equal(await page.getAttribute('#user-recs', 'data-user'), '4999');

    assert.deepEqual(b.foreign(), [], 'every request went to the page origin');
    assert.deepEqual(b.problems, [], 'no errors in the console');
});

test('new visitor: a model file trained on other users labels a numeric field by its own bucket edges', async () => {
    await ready();
    const dir = b.tmp;
    const events = [];
    for (let u = 1; u <= 40; u++) for (let j = 0; j < 6; j++) events.push(`${u}\t${1 + ((u * 5 + j * 7) % 30)}\t${1 + ((u + j) % 5)}\t${881250000 + u * 100 + j}`);
    const users = (from) => Array.from({ length: 40 }, (_, i) => `${i + 1}|${from + i}|${i % 3 ? 'M' : 'F'}|student|55100`).join('\n') + '\n';
    fs.writeFileSync(path.join(dir, 'v.data'), events.join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'v.user'), users(14)); // the page's users: 14..53
    // a two-tower trained elsewhere, on users aged 54..93: its "q3" is another range than this data's
    const engine = await loadEngine();
    const other = engine.dataset(events.join('\n') + '\n', { users: users(54) });
    const tt = engine.model('twotower', { epochs: 1 });
    await tt.train(other);
    const edges = tt.buckets['user.age'];
    fs.writeFileSync(path.join(dir, 'elsewhere.safetensors'), tt.save());
    other.dispose(), tt.dispose();

    await page.setInputFiles('#file', path.join(dir, 'v.data'));
    await page.waitForFunction(() => document.getElementById('sum-source').textContent.startsWith('v.data'));
    await page.setInputFiles('#users-file', path.join(dir, 'v.user'));
    await page.waitForFunction(() => document.getElementById('features-body').textContent.includes('user.age'));
    await page.waitForSelector('#data[data-view="ready"]');
    const own = await page.evaluate(() => window.wasmrecDemo.state.data.sideFields.users.fields.find((f) => f.name === 'user.age').cuts);
    assert.notDeepEqual(own, edges, 'the two tables cut their ages differently');
    const options = () => page.locator('#visitor-field-age option').allTextContents();
    await page.waitForSelector('#visitor-field-age');
    const before = await options();
    assert.match(before[1], /^q0: 14 to /, 'no model file: the data\'s own ranges');
    await page.setInputFiles('#model-file', path.join(dir, 'elsewhere.safetensors'));
    await page.waitForSelector('#model-list li[data-origin="file"]');
    await page.waitForFunction((e) => [...document.querySelectorAll('#visitor-field-age option')].some((o) => o.textContent.startsWith(`q0: under ${e}`)),
        edges[0].toLocaleString('en', { maximumFractionDigits: 2 }));
    const after = await options();
    const num = (x) => x.toLocaleString('en', { maximumFractionDigits: 2 });
    assert.equal(after[1], `q0: under ${num(edges[0])}`);
    assert.equal(after[4], `q3: ${num(edges[2])} to ${num(edges[3])}`);
    assert.equal(after[10], `q9: ${num(edges[8])} or more`);
    assert.deepEqual(b.problems, [], 'no errors in the console');
});
