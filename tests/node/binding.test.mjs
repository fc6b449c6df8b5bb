// binding.test.mjs: the JS binding (wasm/wasmrec.mjs) against the real built wasm/wasmrec.wasm.
// Run with `make test-node` (builds the module first) or `node --test tests/node/`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { instantiate, loadEngine, simdSupported, WasmrecError } from '../../wasm/wasmrec.mjs';
import { createWorkerEngine } from '../../wasm/worker-client.mjs';

const SMALL_CSV = `session,item,timestamp
u1,apple,1
u1,banana,2
u1,cherry,3
u1,date,4
u2,apple,1
u2,banana,2
u2,cherry,3
u3,banana,1
u3,cherry,2
u3,date,3
u4,apple,5
u4,cherry,6
u4,elderberry,7
`;

const engine = await loadEngine();
const store = engine.generate({ sessions: 1000, items: 200, seed: 7 });
const data = engine.dataset(store, { source: 'store.csv' });

function assertRecs(recs, k) {
    assert.ok(Array.isArray(recs));
    assert.equal(recs.length, k);
    for (const r of recs) {
        assert.equal(typeof r.item, 'string');
        assert.equal(typeof r.score, 'number');
        assert.ok(Number.isFinite(r.score));
    }
    for (let i = 1; i < recs.length; i++) assert.ok(recs[i - 1].score >= recs[i].score, 'scores descend');
    assert.equal(new Set(recs.map((r) => r.item)).size, recs.length, 'no item twice');
}

test('engine basics', () => {
    assert.match(engine.version, /^\d+\.\d+\.\d+/);
    const names = engine.modelNames();
    for (const n of ['pop', 'itemknn', 'markov']) assert.ok(names.includes(n), n);
});

test('generate + dataset: counts agree with the CSV text', () => {
    const lines = store.trimEnd().split('\n');
    assert.equal(lines[0], 'session,item,category,title,timestamp');
    const rows = lines.slice(1).map((l) => l.split(','));
    assert.equal(data.events, rows.length);
    assert.equal(data.users, new Set(rows.map((r) => r[0])).size);
    assert.equal(data.items, new Set(rows.map((r) => r[1])).size);
    assert.equal(data.users, 1000);
    assert.ok(data.items > 0 && data.items <= 200);
    assert.equal(data.format, 'csv');
    assert.equal(data.skipped, 0);
    assert.equal(data.skipReason, '');
    // metadata round trip
    const id = data.itemId(0);
    assert.equal(data.itemIndex(id), 0);
    assert.equal(data.itemIndex('no such item'), -1);
    assert.equal(typeof data.itemTitle(0), 'string');
    assert.equal(typeof data.itemCategory(0), 'string');
    assert.ok(data.itemTitle(0).length > 0, 'the demo store has titles');
    const cat = data.catalogue();
    assert.equal(cat.length, data.items);
    assert.deepEqual(Object.keys(cat[0]).sort(), ['category', 'id', 'index', 'title']);
    assert.throws(() => data.itemId(data.items), RangeError);
    assert.throws(() => data.itemId(-1), RangeError);
    // same seed, same text
    assert.equal(engine.generate({ sessions: 1000, items: 200, seed: 7 }), store);
    assert.notEqual(engine.generate({ sessions: 1000, items: 200, seed: 8 }), store);
});

test('a small literal CSV dataset', () => {
    const d = engine.dataset(SMALL_CSV, { format: 'csv', source: 'small.csv' });
    try {
        assert.equal(d.users, 4);
        assert.equal(d.items, 5);
        assert.equal(d.events, 13);
        assert.ok(d.itemIndex('elderberry') >= 0);
        assert.equal(d.itemTitle(d.itemIndex('apple')), '');
        // bytes in work the same as text
        const d2 = engine.dataset(new TextEncoder().encode(SMALL_CSV));
        assert.equal(d2.events, 13);
        d2.dispose();
    } finally {
        d.dispose();
    }
});

test('skipBad counts bad lines and keeps the first reason', () => {
    const text = 'session,item,timestamp\nu1,a,1\nu1,b,2\nbroken\nu2,a,1\nu2,b,2\n';
    assert.throws(() => engine.dataset(text, { source: 'bad.csv' }), (e) => e instanceof WasmrecError && /4/.test(e.message));
    const d = engine.dataset(text, { source: 'bad.csv', skipBad: true });
    assert.equal(d.skipped, 1);
    assert.equal(d.events, 4);
    assert.notEqual(d.skipReason, '');
    d.dispose();
});

for (const name of ['pop', 'markov', 'itemknn']) {
    test(`fit + recommend: ${name}`, () => {
        const m = engine.model(name);
        try {
            assert.equal(m.name, name);
            assert.equal(typeof m.params, 'object');
            m.fit(data);
            assert.equal(m.items, data.items);
            const history = [data.itemId(3), data.itemId(5), data.itemId(8)];
            const recs = m.recommend(history, { k: 10 });
            assertRecs(recs, 10);
            for (const r of recs) assert.ok(data.itemIndex(r.item) >= 0, 'recommended ids are catalogue ids');
            assertRecs(m.recommend(history), 10); // k defaults to 10
            assertRecs(m.recommend(history, { k: 3 }), 3);
            // excludeSeen drops the history
            const ex = m.recommend(history, { k: 20, excludeSeen: true });
            assertRecs(ex, 20);
            for (const r of ex) assert.ok(!history.includes(r.item), `${r.item} was in the history`);
            // k beyond the catalogue gives the whole catalogue
            assert.equal(m.recommend(history, { k: data.items + 50 }).length, data.items);
            // unknown ids are reported and left out
            const det = m.recommendDetailed([...history, 'nope-1', 'nope-2'], { k: 10 });
            assert.deepEqual(det.unknown, ['nope-1', 'nope-2']);
            assert.deepEqual(det.items, recs);
        } finally {
            m.dispose();
        }
    });
}

test('save -> loadModel round trip gives identical recommendations', () => {
    for (const name of ['pop', 'markov', 'itemknn']) {
        const m = engine.model(name).fit(data);
        const bytes = m.save();
        assert.ok(bytes instanceof Uint8Array && bytes.length > 8);
        const m2 = engine.loadModel(bytes);
        assert.equal(m2.name, name);
        assert.deepEqual(m2.params, m.params);
        assert.equal(m2.items, m.items);
        for (const h of [[data.itemId(1)], [data.itemId(2), data.itemId(9), data.itemId(4)], []]) {
            if (h.length === 0 && name !== 'pop') continue;
            assert.deepEqual(m2.recommend(h, { k: 10 }), m.recommend(h, { k: 10 }), `${name} ${h}`);
        }
        assert.deepEqual(m2.save(), bytes, `${name}: saving a loaded model gives the same bytes`);
        m.dispose();
        m2.dispose();
    }
});

test('evaluate returns the engine JSON report', () => {
    const m = engine.model('markov').fitLeaveOneOut(data);
    const r = m.evaluate(data, { split: 'test', k: 10, sampled: 100, seed: 42 });
    assert.equal(typeof r, 'object');
    const text = JSON.stringify(r);
    assert.match(text, /HR@10/);
    assert.match(text, /NDCG@10/);
    assert.deepEqual(m.evaluate(data), r, 'defaults are test/k=10/sampled=100/seed=42 and deterministic');
    assert.throws(() => m.evaluate(data, { split: 'train' }), /split/);
    assert.throws(() => m.evaluate(data, { sampled: -1 }), /sampled/);
    m.dispose();
});

test('errors from the engine are WasmrecError with the engine message', () => {
    assert.throws(() => engine.dataset(SMALL_CSV, { format: 'excel' }), (e) =>
        e instanceof WasmrecError && e.code === -1 && e.status === 'WR_ERR_ARG' && /excel/.test(e.message));
    // malformed CSV: the message names the source and the line
    const bad = 'session,item,timestamp\nu1,a,1\nu1,b,2\nu1\n';
    assert.throws(() => engine.dataset(bad, { format: 'csv', source: 'bad.csv' }), (e) =>
        e instanceof WasmrecError && e.code === -3 && /bad\.csv/.test(e.message) && /\b4\b/.test(e.message));
    // garbage model bytes
    assert.throws(() => engine.loadModel(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), { source: 'junk.safetensors' }),
        (e) => e instanceof WasmrecError && e.code === -4 && e.message.length > 0);
    // a truncated real model file
    const m = engine.model('pop').fit(data);
    const bytes = m.save();
    assert.throws(() => engine.loadModel(bytes.slice(0, bytes.length - 3)), WasmrecError);
    // a bad hyper-parameter
    assert.throws(() => engine.model('itemknn', { no_such_knob: 3 }), (e) => e instanceof WasmrecError && /no_such_knob/.test(e.message));
    // recommend before fit
    const fresh = engine.model('markov');
    assert.throws(() => fresh.recommend(['x']), WasmrecError);
    fresh.dispose();
    m.dispose();
});

test('bad JS arguments throw before calling C, naming the argument', () => {
    const m = engine.model('pop').fit(data);
    for (const k of [0, -1, 1.5, '3', NaN, null]) {
        assert.throws(() => m.recommend([data.itemId(0)], { k }), (e) => !(e instanceof WasmrecError) && /\bk\b/.test(e.message), String(k));
    }
    assert.throws(() => m.recommend('i1'), /history/);
    assert.throws(() => m.recommend([1, 2]), /history\[0\]/);
    assert.throws(() => m.recommend([], { excludeSeen: 'yes' }), /excludeSeen/);
    assert.throws(() => m.fit({}), /dataset/);
    assert.throws(() => engine.model('gpt5'), (e) => e instanceof RangeError && /gpt5/.test(e.message) && /name/.test(e.message));
    assert.throws(() => engine.model(42), /name/);
    assert.throws(() => engine.dataset(42), /input/);
    assert.throws(() => engine.dataset('a', { format: 3 }), /format/);
    assert.throws(() => engine.generate({ sessions: 0 }), /sessions/);
    assert.throws(() => engine.generate({ items: 2.5 }), /items/);
    assert.throws(() => engine.generate({ seed: -1 }), /seed/);
    assert.throws(() => engine.loadModel('not bytes'), /bytes/);
    m.dispose();
});

test('memory growth keeps earlier objects working', () => {
    const d = engine.dataset(SMALL_CSV);
    const m = engine.model('itemknn').fit(data);
    const h = [data.itemId(10), data.itemId(11)];
    const before = m.recommend(h, { k: 10 });
    const size0 = engine.runtime.memory.buffer.byteLength;
    const bigText = engine.generate({ sessions: 50000, items: 2000, seed: 3 });
    const big = engine.dataset(bigText);
    const knnBig = engine.model('itemknn').fit(big);
    assert.ok(engine.runtime.memory.buffer.byteLength > size0, 'memory grew');
    assert.equal(big.users, 50000);
    assertRecs(knnBig.recommend([big.itemId(0)], { k: 10 }), 10);
    assert.deepEqual(m.recommend(h, { k: 10 }), before);
    assert.equal(d.users, 4);
    assert.equal(d.itemId(d.itemIndex('apple')), 'apple');
    assert.equal(data.itemIndex(data.itemId(0)), 0);
    knnBig.dispose();
    big.dispose();
    m.dispose();
    d.dispose();
});

test('dispose is idempotent and use after dispose throws a clear error', () => {
    const d = engine.dataset(SMALL_CSV);
    const m = engine.model('pop').fit(d);
    m.dispose();
    m.dispose();
    assert.equal(m.disposed, true);
    assert.throws(() => m.recommend(['apple']), /Model was disposed/);
    assert.throws(() => m.save(), /disposed/);
    d.dispose();
    d.dispose();
    assert.throws(() => d.itemId(0), /Dataset was disposed/);
    assert.throws(() => engine.model('pop').fit(d), /Dataset was disposed/);
    if (typeof Symbol.dispose === 'symbol') {
        const x = engine.model('pop');
        x[Symbol.dispose]();
        assert.equal(x.disposed, true);
    }
});

test('a second engine is independent; disposing an engine frees its objects', async () => {
    const e2 = await loadEngine();
    const d = e2.dataset(SMALL_CSV);
    const m = e2.model('pop').fit(d);
    assert.throws(() => m.fit(data), /another Engine/);
    e2.dispose();
    e2.dispose();
    assert.throws(() => m.recommend(['apple']), /disposed/);
    assert.throws(() => e2.generate(), /Engine was disposed/);
    // the first engine is untouched
    assert.equal(data.users, 1000);
    assert.equal(engine.model('pop').fit(data).recommend([], { k: 2 }).length, 2);
});

test('loading: SIMD probe, wasmUrl and wasmBytes overrides', async () => {
    assert.equal(simdSupported(), true);
    const url = new URL('../../wasm/wasmrec.wasm', import.meta.url);
    const e1 = await loadEngine({ wasmUrl: url });
    const e2 = await loadEngine({ wasmBytes: await readFile(url) });
    assert.equal(e1.version, engine.version);
    assert.deepEqual(e2.modelNames(), engine.modelNames());
    e1.dispose();
    e2.dispose();
    await assert.rejects(loadEngine({ wasmUrl: new URL('./no-such.wasm', import.meta.url) }), /no-such\.wasm/);
    await assert.rejects(loadEngine({ wasmBytes: 'wasm' }), /wasmBytes/);
});

test('memory budget: memoryMB refuses settings whose buffers would need more, naming them; the model still trains small', async () => {
    const e = await loadEngine({ memoryMB: 16 });
    assert.equal(e.memoryMB, 16);
    assert.equal(engine.memoryMB, 2048); // the default, per engine
    const data = e.dataset(e.generate({ sessions: 200, items: 40, seed: 3 }));
    const m = e.model('gru4rec', { dim: 1024, epochs: 1 });
    assert.throws(() => m.fit(data), (err) => err instanceof WasmrecError &&
        /gru4rec: the weights and their training state .* over the memory budget of 16 MB/.test(err.message));
    e.memoryMB = 8192; // more than wasm32 can address
    const big = e.model('sasrec', { batch: 4096, max_len: 1024, epochs: 1 });
    assert.throws(() => big.fit(data), /sasrec: the activations of batch 4096 x max_len 1024 .* more than the 4096 MB a WebAssembly module can address/);
    assert.throws(() => { e.memoryMB = 0; }, /the memory budget must be between 1 and 1048576 MB/);
    assert.throws(() => { e.memoryMB = 'lots'; }, /memoryMB must be a number/);
    assert.equal(e.model('gru4rec', { dim: 8, epochs: 1 }).fit(data).recommend([], { k: 3 }).length, 3);
    e.dispose();
});

test('the default (page) host answers file access with an error', async () => {
    const rt = await instantiate();
    const lines = [];
    const orig = console.error;
    console.error = (...a) => lines.push(a.join(' '));
    let rc;
    try {
        rc = rt.scoped((s) => {
            const argv = ['wasmrec', 'train', '--data', 'x.csv', '--model', 'pop'].map((a) => s.string(a));
            const table = s.zeros(4 * (argv.length + 1));
            argv.forEach((p, i) => rt.setU32(table + 4 * i, p));
            return rt.exports.wr_cli_main(argv.length, table);
        });
    } finally {
        console.error = orig;
    }
    assert.notEqual(rc, 0);
    assert.match(lines.join('\n'), /no file access in a page/);
});

test('addSession: a session-kNN model learns a new session without refitting', () => {
    const small = engine.dataset(SMALL_CSV, { source: 'small.csv' });
    const m = engine.model('sknn');
    m.fit(small);
    const before = m.recommend(['elderberry'], { k: 5, excludeSeen: true });
    // Before: elderberry only co-occurs with apple and cherry (u4).
    assert.ok(!before.slice(0, 2).some((r) => r.item === 'date'));
    for (let i = 0; i < 3; i++) assert.deepEqual(m.addSession(['elderberry', 'date']), { unknown: [] });
    const after = m.recommend(['elderberry'], { k: 5, excludeSeen: true });
    assert.equal(after[0].item, 'date');
    assert.deepEqual(m.addSession(['elderberry', 'nope']), { unknown: ['nope'] });
    assert.throws(() => m.addSession('apple'), /items must be an array/);
    const pop = engine.model('pop');
    pop.fit(small);
    assert.throws(() => pop.addSession(['apple']), (e) => e instanceof WasmrecError && /pop does not learn from single sessions/.test(e.message));
    m.dispose(); pop.dispose(); small.dispose();
});

test('train: stepwise with progress, early stopping state, and cancellation through AbortSignal', async () => {
    const m = engine.model('gru4rec', { dim: 8, epochs: 3, batch: 16 });
    const seen = [];
    const last = await m.train(data, { leaveOneOut: true, onProgress: (p) => seen.push(p), chunk: 8 });
    assert.ok(last.done);
    assert.equal(last.epoch, 3);
    assert.ok(seen.length > 3, 'progress arrives between chunks');
    assert.ok(seen.some((p) => p.loss > 0 && p.positionsPerSecond > 0));
    assert.ok(last.bestEpoch >= 1 && last.validNdcg > 0);
    assert.equal(m.recommend(['nope']).length, 10);

    const ctl = new AbortController();
    const slow = engine.model('sasrec', { dim: 8, epochs: 50 });
    let chunks = 0;
    await assert.rejects(slow.train(data, {
        chunk: 1, signal: ctl.signal,
        onProgress: () => { if (++chunks === 3) ctl.abort(new Error('stop please')); },
    }), /stop please/);
    assert.equal(chunks, 3);
    assert.equal(slow.recommend([]).length, 10, 'a cancelled model still answers');
    await assert.rejects(m.train(data, { chunk: 0 }), /chunk/);
    m.dispose(); slow.dispose();
});

test('looking inside: lengths, explain, and clear errors where a model has no such view', () => {
    const lengths = data.lengths();
    assert.equal(lengths.length, data.users);
    assert.equal(lengths.reduce((a, b) => a + b, 0), data.events);
    const knn = engine.model('itemknn').fit(data);
    const history = data.catalogue().slice(0, 3).map((it) => it.id);
    const top = knn.recommend(history, { k: 1 })[0];
    const why = knn.explain([...history, 'no-such-item'], top.item);
    assert.deepEqual(why.history.map((h) => h.item), history);
    assert.deepEqual(why.unknown, ['no-such-item']);
    assert.equal(why.history[0].weight, 0, 'item-kNN scores by the last item only');
    assert.ok(Math.abs(why.history[2].weight + 1 - top.score) < 1e-6, 'the last item carries the score');
    assert.throws(() => knn.explain(history, 'no-such-item'), /explain: item "no-such-item" is not in the model's catalogue/);
    assert.throws(() => knn.itemMap(), (e) => e instanceof WasmrecError && /no item embeddings/.test(e.message));
    assert.throws(() => knn.attention(history), (e) => e instanceof WasmrecError && /no attention/.test(e.message));
    knn.dispose();
});

test('looking inside: SASRec attention and the item map of a neural model', async () => {
    const sas = engine.model('sasrec', { dim: 16, blocks: 2, max_len: 8, epochs: 1 });
    await sas.train(data);
    const history = data.catalogue().slice(0, 10).map((it) => it.id);
    const att = sas.attention([...history, 'no-such-item']);
    assert.deepEqual(att.items, history);
    assert.deepEqual(att.unknown, ['no-such-item']);
    assert.equal(att.blocks.length, 2);
    for (const row of att.blocks) {
        assert.equal(row.length, 10);
        assert.equal(row[0] + row[1], 0, 'items older than max_len get no attention');
        assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    }
    assert.ok(Math.abs(att.mean.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    const map = sas.itemMap();
    assert.equal(map.items.length, sas.items);
    assert.equal(map.x.length, sas.items);
    assert.ok(map.explained[0] >= map.explained[1] && map.explained[1] > 0 && map.explained[0] + map.explained[1] <= 1);
    const mean = map.x.reduce((a, b) => a + b, 0) / map.x.length;
    assert.ok(Math.abs(mean) < 1e-3, 'coordinates are centred');
    sas.dispose();
});

test('ratings, labels, protocols and mf through the binding: as the CLI, with clear errors', async () => {
    const rows = ['user,item,rating,timestamp'];
    for (let u = 0; u < 60; u++)
        for (let i = 0; i < 12; i++)
            if ((i + u) % 5 !== 0) rows.push(`u${u},i${(u % 2) * 12 + i},${1 + ((u * 7 + i * 3) % 5)},${1000 + u * 50 + i}`);
    const csv = rows.join('\n') + '\n';
    const plain = engine.dataset(csv, { source: 'r.csv' });
    assert.equal(plain.hasRatings, true);
    assert.equal(plain.labelled, false);
    const d = engine.dataset(csv, { source: 'r.csv', drop: 'rating==3', label: 'rating>=4' });
    assert.equal(d.labelled, true);
    assert.ok(d.events < plain.events);
    assert.throws(() => engine.dataset(csv, { label: 'stars>=4' }), /unknown column "stars"/);
    assert.throws(() => engine.dataset('user,item\na,x\na,y\n', { label: 'rating>=4' }), /no rating or label column/);
    const m = engine.model('mf', { loss: 'bce', epochs: 5 });
    const last = await m.train(d, { protocol: 'random', fractions: [0.7, 0.1, 0.2], seed: 3 });
    assert.ok(last.done);
    assert.equal(m.users, 60);
    const r = m.evaluate(d, { protocol: 'random', fractions: [0.7, 0.1, 0.2], seed: 3 });
    assert.ok(r.full.AUC > 0 && r.full.AUC < 1 && r.full.logloss > 0);
    assert.equal(r.full.RMSE, null);
    assert.equal(r.sampled100, undefined);
    assert.throws(() => m.evaluate(d, { protocol: 'loo' }), /use --eval random/);
    assert.throws(() => m.evaluate(d, { protocol: 'random', fractions: [0.5, 0.5] }), /three numbers/);
    // by user: a known user's list differs from the anonymous one over the same (empty) history
    const mine = m.recommend([], { user: 'u1', k: 5 }).map((x) => x.item);
    const anon = m.recommend([], { k: 5 }).map((x) => x.item);
    assert.equal(mine.length, 5);
    assert.notDeepEqual(mine, anon);
    // a saved mf keeps its users
    const back = engine.loadModel(m.save());
    assert.equal(back.users, 60);
    assert.deepEqual(back.recommend([], { user: 'u1', k: 5 }).map((x) => x.item), mine);
    for (const x of [m, back, d, plain]) x.dispose();
});

test('side features through the binding: fm learns a segment x category cross that lr cannot', async () => {
    const rows = ['user,item,label,timestamp'];
    for (let u = 0; u < 40; u++) for (let i = 0; i < 20; i++) rows.push(`u${u},i${i},${+((u % 2) === (i % 2))},${(u * 37 + i * 11) % 1000}`);
    const users = 'user_id,segment\n' + Array.from({ length: 40 }, (_, u) => `u${u},${u % 2 ? 'A' : 'B'}`).join('\n') + '\n';
    const items = 'item_id,category\n' + Array.from({ length: 20 }, (_, i) => `i${i},${i % 2 ? 'X' : 'Y'}`).join('\n') + '\n';
    const d = engine.dataset(rows.join('\n') + '\n', { label: 'label==1', users, items });
    assert.equal(d.features, 4);
    const auc = {};
    for (const name of ['lr', 'fm']) {
        const m = engine.model(name, { ids: 0, epochs: 40, lr: 0.05, batch: 64 });
        await m.train(d, { protocol: 'random', fractions: [0.7, 0.1, 0.2] });
        auc[name] = m.evaluate(d, { protocol: 'random', fractions: [0.7, 0.1, 0.2] }).full.AUC;
        m.dispose();
    }
    assert.ok(auc.fm > 0.95, `fm AUC ${auc.fm}`);
    assert.ok(auc.lr < 0.65, `lr AUC ${auc.lr}`);
    assert.throws(() => engine.dataset(rows.join('\n'), { users: 'name,x\na,1\n' }), /no user id column/);
    d.dispose();
});

test('featureKinds: a detected kind overridden through the binding, wrong ones refused by name', () => {
    const rows = ['user,item,timestamp'];
    for (let u = 0; u < 30; u++) rows.push(`u${u},i${u % 5},${u}`, `u${u},i${(u + 1) % 5},${u + 100}`);
    const users = 'user,age\n' + Array.from({ length: 30 }, (_, u) => `u${u},${20 + u}`).join('\n') + '\n';
    const count = (opts) => {
        const d = engine.dataset(rows.join('\n') + '\n', { users, ...opts });
        const n = d.features;
        d.dispose();
        return n;
    };
    assert.equal(count({}), 10); // 30 distinct ages: numeric, 10 quantile buckets
    assert.equal(count({ featureKinds: { 'user.age': 'categorical' } }), 30); // a feature per age
    assert.throws(() => count({ featureKinds: { 'user.agee': 'numeric' } }), /user\.agee: the user table \(users\) has no column "agee"; its columns: age/);
    assert.throws(() => count({ featureKinds: { 'user.age': 'num' } }), /unknown kind "num"/);
    assert.throws(() => count({ featureKinds: { 'item.year': 'numeric' } }), /item\.year: no item table was loaded/);
    assert.throws(() => count({ featureKinds: 'user.age=numeric' }), TypeError);
    assert.throws(() => count({ featureKinds: { 'user.age': 3 } }), TypeError);
    // fields: what each field became, counted over the data's users
    const d = engine.dataset(rows.join('\n') + '\n', { users });
    const [age] = d.fields;
    assert.deepEqual({ ...age, counts: age.counts.length }, { field: 'user.age', side: 'users', kind: 'numeric', values: 10, rows: 30, counts: 10,
        cuts: [23, 26, 29, 32, 35, 38, 41, 44, 47], range: [20, 49] });
    assert.deepEqual(age.counts.map(([v]) => v), ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8', 'q9']);
    assert.equal(age.counts.reduce((a, [, c]) => a + c, 0), 30);
    assert.equal(d.fields[0], age, 'read once: the same objects');
    // sideFeatures: each user's values, named as the counts name them (u0 is 20, the lowest decile)
    const byUser = d.sideFeatures('users');
    assert.equal(byUser.size, 30);
    assert.deepEqual(byUser.get('u0'), { 'user.age': ['q0'] });
    assert.deepEqual(byUser.get('u29'), { 'user.age': ['q9'] });
    assert.equal(d.sideFeatures('items').size, 0);
    assert.throws(() => d.sideFeatures('sessions'), /side must be 'users' or 'items', got "sessions"/);
    d.dispose();
});

test('featureKinds, timeContext and fields through the worker, as in the engine', async () => {
    const rows = ['user,item,timestamp'];
    for (let u = 0; u < 30; u++) rows.push(`u${u},i${u % 5},${1700000000 + 3600 * u}`, `u${u},i${(u + 1) % 5},${1700000000 + 3600 * u + 60}`);
    const users = 'user,age\n' + Array.from({ length: 30 }, (_, u) => `u${u},${20 + u}`).join('\n') + '\n';
    const opts = { users, featureKinds: { 'user.age': 'categorical' }, timeContext: ['hour'] };
    const local = engine.dataset(rows.join('\n') + '\n', opts);
    const w = await createWorkerEngine();
    try {
        const remote = await w.dataset(rows.join('\n') + '\n', opts);
        assert.equal(remote.features, 30 + 24);
        assert.deepEqual(remote.fields, local.fields);
        assert.deepEqual(remote.fields.map((f) => [f.field, f.side, f.kind]), [['ctx.hour', 'context', 'categorical'], ['user.age', 'users', 'categorical']]);
        assert.deepEqual(await remote.sideFeatures('users'), local.sideFeatures('users'));
        assert.deepEqual((await remote.sideFeatures('users')).get('u7'), { 'user.age': ['27'] });
        await assert.rejects(w.dataset(rows.join('\n') + '\n', { users, featureKinds: { 'user.agee': 'numeric' } }), /has no column "agee"/);
    } finally {
        local.dispose();
        w.terminate();
    }
});

test('dataset({ model }): data for a trained model bucketed by its edges, in the engine and the worker', async () => {
    const rows = ['user,item,timestamp'];
    for (let u = 0; u < 30; u++) rows.push(`u${u},i${u % 5},${u}`, `u${u},i${(u + 1) % 5},${u + 100}`);
    const table = (lo) => 'user,age\n' + Array.from({ length: 30 }, (_, u) => `u${u},${lo + u}`).join('\n') + '\n';
    const d = engine.dataset(rows.join('\n') + '\n', { users: table(20) });
    const m = engine.model('lr', { epochs: 1 });
    await m.train(d);
    // later users, ages 50..79: by their own deciles u0 is q0; by the model's (20..49: 23, ..., 47) all are q9
    const later = table(50);
    const own = engine.dataset(rows.join('\n') + '\n', { users: later });
    const forModel = engine.dataset(rows.join('\n') + '\n', { users: later, model: m });
    assert.deepEqual(own.sideFeatures('users').get('u0'), { 'user.age': ['q0'] });
    assert.deepEqual(forModel.sideFeatures('users').get('u0'), { 'user.age': ['q9'] });
    assert.deepEqual(forModel.fields[0].cuts, d.fields[0].cuts);
    // the model says what its buckets mean (labels for "user.age=q3"); a model without numeric fields has none
    assert.deepEqual(m.buckets, { 'user.age': d.fields[0].cuts });
    assert.equal(m.buckets['user.age'].length, 9);
    const plain = engine.model('pop');
    await plain.train(d);
    assert.deepEqual(plain.buckets, {});
    plain.dispose();
    assert.throws(() => engine.dataset(rows.join('\n') + '\n', { users: later, model: d }), /dataset: model must be a Model/);
    assert.throws(() => engine.dataset(rows.join('\n') + '\n', { users: 'user,age\nu1,old\n' + later.slice(9), model: m }),
        /column age: "old" is not a number \(the model was trained with user\.age numeric\)/);
    // a saved model keeps its edges; the worker applies them the same way
    const bytes = m.save();
    const w = await createWorkerEngine();
    try {
        const wm = await w.loadModel(bytes);
        assert.deepEqual(wm.buckets, m.buckets, 'the worker model carries them, from the file');
        const loaded = engine.loadModel(m.save());
        assert.deepEqual(loaded.buckets, m.buckets, 'and so does a model loaded from the file');
        loaded.dispose();
        const remote = await w.dataset(rows.join('\n') + '\n', { users: later, model: wm });
        assert.deepEqual(await remote.sideFeatures('users'), forModel.sideFeatures('users'));
        await assert.rejects(w.dataset(rows.join('\n') + '\n', { users: later, model: m }), /dataset: model must be a WorkerModel/);
    } finally {
        w.terminate();
        for (const x of [d, m, own, forModel]) x.dispose();
    }
});

test('modelInfo: what each model needs and can do, from the engine (no model names in callers)', () => {
    for (const name of engine.modelNames()) {
        const info = engine.modelInfo(name);
        assert.equal(info.name, name);
        for (const k of ['history', 'users', 'labels', 'features']) assert.equal(typeof info.uses[k], 'boolean');
        assert.ok(['score', 'probability', 'rating'].includes(info.predicts));
        const m = engine.model(name);
        assert.deepEqual(m.info, info);
        // the declared parameters are the model's own
        assert.deepEqual(info.params.map((p) => p.name).sort(), Object.keys(m.params).sort());
        m.dispose();
    }
    assert.equal(engine.modelInfo('itemknn').can.explain, true);
    assert.equal(engine.modelInfo('sasrec').can.attention, true);
    assert.equal(engine.modelInfo('vsknn').can.add_session, true);
    assert.equal(engine.modelInfo('fm').uses.features, true);
    assert.equal(engine.modelInfo('mf').can.fine_tune, false); // by user: refit instead
    assert.throws(() => engine.modelInfo('gpt5'), /unknown model "gpt5"/);
});

test('generate with features: the same sessions plus labels and side tables; fm sees the planted cross, lr does not', async () => {
    const g = engine.generate({ sessions: 1500, items: 200, seed: 4, features: true });
    const plain = engine.generate({ sessions: 1500, items: 200, seed: 4 });
    assert.equal(g.events.split('\n').slice(1).map((l) => l.replace(/,[01]$/, '')).join('\n'), plain.split('\n').slice(1).join('\n'));
    const d = engine.dataset(g.events, { label: 'label==1', users: g.users, items: g.items });
    const auc = {};
    for (const name of ['lr', 'fm']) {
        const m = engine.model(name, { epochs: 10 });
        await m.train(d, { protocol: 'random' });
        auc[name] = m.evaluate(d, { protocol: 'random' }).full.AUC;
        m.dispose();
    }
    assert.ok(auc.fm > auc.lr + 0.1, JSON.stringify(auc));
    d.dispose();
});

test('compare and experiment through the binding: the same statistics as the CLI', async () => {
    const d = engine.dataset(engine.generate({ sessions: 800, items: 100, seed: 9 }));
    const models = [];
    for (const name of ['pop', 'markov']) {
        const m = engine.model(name);
        await m.train(d, { leaveOneOut: true });
        models.push(m);
    }
    const { report, perUser } = engine.compare(d, models);
    assert.deepEqual(report.models.map((m) => m.model), ['pop', 'markov']);
    assert.equal(perUser.trim().split('\n').length, 1 + 2 * report.queries);
    const ndcg = report.pairs.find((p) => p.metric === 'NDCG@10');
    assert.ok(ndcg.diff < 0 && ndcg.holm_p < 0.01);
    const e = engine.experiment(d, models[1], models[0], { seed: 3 });
    assert.ok(e.ab.arms[0].ctr > e.ab.arms[1].ctr && e.interleaving.wins_a > e.interleaving.wins_b);
    assert.equal(typeof e.aa.peeking_every_100_rejections, 'number');
    assert.deepEqual(e.ab.p_by_users.map(([u]) => u), Array.from({ length: Math.floor(e.users / 100) }, (_, i) => 100 * (i + 1)));
    assert.throws(() => engine.compare(d, [models[0]]), /2 to 8 Models/);
    assert.throws(() => engine.experiment(d, models[0], models[1], { click: 'always' }), /click must be/);
    for (const m of models) m.dispose();
    d.dispose();
});

test('context: a CSV\'s extra columns are each event\'s context; fm learns from it, a query carries it (in-thread and in the worker)', async () => {
    const rows = ['user,item,label,timestamp,device'];
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let u = 0; u < 50; u++) for (let i = 0; i < 16; i++) {
        const mobile = rand() < 0.5;
        rows.push(`u${u},i${i},${+(mobile === (i % 2 === 1))},${u * 100 + i},${mobile ? 'mobile' : 'desktop'}`);
    }
    const csv = rows.join('\n') + '\n';
    const timed = engine.dataset(csv, { label: 'label==1', timeContext: ['hour', 'weekday'] });
    assert.equal(timed.context, 'context: device (categorical), hour (categorical), weekday (categorical)');
    timed.dispose();
    assert.throws(() => engine.dataset(csv, { timeContext: 'hour' }), TypeError);
    assert.throws(() => engine.dataset(csv, { timeContext: ['minute'] }), /"minute" is not hour or weekday/);
    const d = engine.dataset(csv, { label: 'label==1' });
    assert.equal(d.context, 'context: device (categorical)');
    assert.equal(d.features, 2);
    const m = engine.model('fm', { epochs: 30, lr: 0.05, batch: 64 });
    await m.train(d, { protocol: 'random', fractions: [0.7, 0.1, 0.2] });
    assert.ok(m.evaluate(d, { protocol: 'random', fractions: [0.7, 0.1, 0.2] }).full.AUC > 0.95);
    const odd = (recs) => recs.filter((r) => +r.item.slice(1) % 2 === 1).length;
    assert.equal(odd(m.recommend([], { user: 'u3', k: 4, context: { device: 'mobile' } })), 4);
    assert.equal(odd(m.recommend([], { user: 'u3', k: 4, context: { device: 'desktop' } })), 0);
    assert.throws(() => m.recommend([], { context: { device: 'tablet' } }), /knows no context feature "device" = "tablet"/);
    assert.throws(() => m.recommend([], { context: 'mobile' }), TypeError);
    assert.throws(() => engine.model('sasrec', { epochs: 1 }).recommend([], { context: { device: 'mobile' } }), /sasrec reads no side features or context/);
    // the same through the worker
    const w = await createWorkerEngine();
    try {
        const wd = await w.dataset(csv, { label: 'label==1' });
        assert.equal(wd.context, 'context: device (categorical)');
        const wm = await w.model('fm', { epochs: 30, lr: 0.05, batch: 64 });
        await wm.fit(wd);
        assert.equal(odd(await wm.recommend([], { user: 'u3', k: 4, context: { device: 'mobile' } })), 4);
    } finally {
        await w.terminate();
    }
    m.dispose(), d.dispose();
});
