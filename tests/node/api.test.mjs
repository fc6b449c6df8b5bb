// api.test.mjs: the library as a web developer uses it, against the real wasm/wasmrec.wasm:
// every bad argument is rejected with a message naming it; memory growth during training and
// recommendation never leaves a stale typed-array view; dispose and Symbol.dispose; the exports
// map; the worker engine (a worker_threads Worker under Node: progress, abort, moved buffers);
// the store's in-memory fallback and the on-device Recommender; and `tsc --noEmit` of the .d.ts
// files against tests/node/types-usage.ts.
// Run with `make test-node` or `node --test tests/node/`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadEngine, WasmrecError, Engine, Model, Dataset } from 'wasmrec';
import { createWorkerEngine, WorkerModel } from 'wasmrec/worker';
import { openStore, StoreError } from 'wasmrec/store';
import { createRecommender } from 'wasmrec/personal';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO_MODEL = new URL('../../models/demo-vsknn.safetensors', import.meta.url);

const engine = await loadEngine();
const data = engine.dataset(engine.generate({ sessions: 800, items: 150, seed: 3 }), { source: 'store.csv' });
const id0 = data.itemId(0);

/** assert.throws with a check that the message names `arg` and the error is not an engine error. */
function rejectsArg(fn, arg, Kind) {
    assert.throws(fn, (e) => {
        assert.ok(e instanceof Error, 'an Error object');
        if (Kind) assert.ok(e instanceof Kind, `${e.name}: ${e.message} should be a ${Kind.name}`);
        assert.ok(e.message.includes(arg), `message ${JSON.stringify(e.message)} names ${arg}`);
        return true;
    });
}
async function rejectsArgAsync(p, arg, Kind) {
    await assert.rejects(p, (e) => {
        assert.ok(e instanceof Error, 'an Error object');
        if (Kind) assert.ok(e instanceof Kind, `${e.name}: ${e.message} should be a ${Kind.name}`);
        assert.ok(e.message.includes(arg), `message ${JSON.stringify(e.message)} names ${arg}`);
        return true;
    });
}

test('exports map: the package resolves by name in Node', async () => {
    const pkg = (await import('wasmrec/package.json', { with: { type: 'json' } })).default;
    for (const [sub, target] of Object.entries(pkg.exports)) {
        const file = typeof target === 'string' ? target : target.default;
        if (!sub.includes('*')) assert.ok(existsSync(new URL(file, new URL('../../', import.meta.url))), `${sub} -> ${file} exists`);
        if (typeof target === 'object') assert.ok(existsSync(new URL(target.types, new URL('../../', import.meta.url))), `${sub} types exist`);
    }
    assert.equal(typeof (await import('wasmrec')).loadEngine, 'function');
    assert.equal(typeof (await import('wasmrec/worker')).createWorkerEngine, 'function');
    assert.equal(typeof (await import('wasmrec/store')).openStore, 'function');
    assert.equal(typeof (await import('wasmrec/personal')).createRecommender, 'function');
    assert.equal(typeof (await import('wasmrec/worker-host')).createHost, 'function');
    assert.ok(Object.keys(pkg.dependencies ?? {}).length === 0, 'no runtime dependencies');
});

test('bad arguments: wrong types', () => {
    const m = engine.model('itemknn').fit(data);
    rejectsArg(() => engine.dataset(42), 'input', TypeError);
    rejectsArg(() => engine.dataset('a,b\n', { format: 7 }), 'format', TypeError);
    rejectsArg(() => engine.dataset('a,b\n', { skipBad: 'yes' }), 'skipBad', TypeError);
    rejectsArg(() => engine.dataset('a,b\n', 'csv'), 'options', TypeError);
    rejectsArg(() => engine.model(7), 'name', TypeError);
    rejectsArg(() => engine.model('itemknn', 'fast'), 'params', TypeError);
    rejectsArg(() => engine.model('itemknn', { neighbors: [1] }), 'params.neighbors', TypeError);
    rejectsArg(() => engine.model('itemknn', { seed: -1 }), 'params.seed', RangeError);
    rejectsArg(() => engine.loadModel('not bytes'), 'bytes', TypeError);
    rejectsArg(() => engine.loadModel({}), 'bytes', TypeError);
    rejectsArg(() => engine.generate({ sessions: '10' }), 'sessions', RangeError);
    rejectsArg(() => m.recommend('apple'), 'history', TypeError);
    rejectsArg(() => m.recommend([id0, 5]), 'history[1]', TypeError);
    rejectsArg(() => m.recommend([id0], { excludeSeen: 1 }), 'excludeSeen', TypeError);
    rejectsArg(() => m.fit('data'), 'dataset', TypeError);
    rejectsArg(() => m.fit(null), 'dataset', TypeError);
    rejectsArg(() => m.evaluate(data, { split: 'train' }), 'split', RangeError);
    rejectsArg(() => m.addSession('x'), 'items', TypeError);
    rejectsArg(() => m.itemIndex(3), 'id', TypeError);
    rejectsArg(() => m.set(3, 1), 'name', TypeError);
    m.dispose();
});

test('bad arguments: negative, zero and fractional k and other numbers', async () => {
    const m = engine.model('pop').fit(data);
    for (const k of [-1, 0, 2.5, NaN, Infinity, '10', null]) {
        rejectsArg(() => m.recommend([id0], { k }), 'k', RangeError);
        rejectsArg(() => m.evaluate(data, { k }), 'k', RangeError);
    }
    rejectsArg(() => m.evaluate(data, { sampled: -5 }), 'sampled', RangeError);
    rejectsArg(() => engine.generate({ items: -3 }), 'items', RangeError);
    rejectsArg(() => engine.generate({ seed: -3 }), 'seed', RangeError);
    await assert.rejects(m.train(data, { chunk: 0 }), (e) => e instanceof RangeError && /chunk/.test(e.message));
    await assert.rejects(m.train(data, { onProgress: 'log' }), (e) => e instanceof TypeError && /onProgress/.test(e.message));
    await assert.rejects(m.train(data, { signal: 'stop' }), (e) => e instanceof TypeError && /signal/.test(e.message));
    m.dispose();
});

test('bad arguments: unknown model name, unknown options, unknown parameters', async () => {
    rejectsArg(() => engine.model('gpt5'), 'gpt5', RangeError);
    rejectsArg(() => engine.model('gpt5'), 'name', RangeError);
    const m = engine.model('itemknn').fit(data);
    rejectsArg(() => m.recommend([id0], { topK: 3 }), 'topK', RangeError);
    rejectsArg(() => m.recommend([id0], { excludeseen: true }), 'excludeseen', RangeError);
    rejectsArg(() => m.recommendDetailed([id0], { n: 3 }), '"n"', RangeError);
    rejectsArg(() => m.evaluate(data, { protocl: 'loo' }), 'protocl', RangeError);
    rejectsArg(() => engine.dataset('a\n', { delimiter: ',' }), 'delimiter', RangeError);
    rejectsArg(() => engine.generate({ users: 5 }), 'users', RangeError);
    rejectsArg(() => engine.loadModel(m.save(), { name: 'x' }), 'name', RangeError);
    await assert.rejects(m.train(data, { epoch: 3 }), (e) => e instanceof RangeError && /"epoch"/.test(e.message));
    await assert.rejects(loadEngine({ wasm: 'x' }), (e) => e instanceof RangeError && /"wasm"/.test(e.message));
    // parameters are checked by the engine, which names the parameter and lists the valid ones
    assert.throws(() => engine.model('itemknn', { neighbours: 50 }),
        (e) => e instanceof WasmrecError && /neighbours/.test(e.message) && /neighbors/.test(e.message));
    assert.throws(() => engine.model('itemknn', { neighbors: -3 }),
        (e) => e instanceof WasmrecError && /neighbors/.test(e.message) && /-3/.test(e.message));
    assert.throws(() => m.set('lamda', 3), (e) => e instanceof WasmrecError && /lamda/.test(e.message));
    await assert.rejects(m.train(data, { epochs: 3 }), (e) => e instanceof WasmrecError && /epochs/.test(e.message));
    m.dispose();
});

test('engine failures are Error objects carrying the engine message', () => {
    assert.throws(() => engine.dataset('session,item\nu1,\n', { source: 'shop.csv' }), (e) =>
        e instanceof Error && e instanceof WasmrecError && /shop\.csv/.test(e.message) && e.code < 0 && typeof e.status === 'string');
    assert.throws(() => engine.loadModel(new Uint8Array(20), { source: 'broken.safetensors' }), (e) =>
        e instanceof WasmrecError && /broken\.safetensors/.test(e.message));
    const pop = engine.model('pop');
    assert.throws(() => pop.addSession([id0]), (e) => e instanceof WasmrecError && e.message.length > 0);
    pop.dispose();
});

for (const threads of [1, 2]) test(`memory growth during training and recommendation: no stale typed-array views (${threads === 1 ? 'single-thread' : 'threaded'} module)`, async () => {
    const e2 = await loadEngine({ threads });
    const mem = e2.runtime.memory;
    const d = e2.dataset(e2.generate({ sessions: 1500, items: 200, seed: 9 }));
    const m = e2.model('itemknn').fit(d);
    const history = [d.itemId(3), d.itemId(7)];
    const before = m.recommend(history, { k: 10 });
    const bytesBefore = m.save();
    // grow the heap between every step of a stepwise training, and during recommendation
    const gru = e2.model('gru4rec', { dim: 16, epochs: 2, batch: 32 });
    const held = [];
    const start = mem.buffer.byteLength;
    let reports = 0;
    await gru.train(d, {
        chunk: 4,
        onProgress: () => {
            reports++; // at the start and after each epoch (progress is throttled to 250 ms between)
            held.push(e2.dataset(e2.generate({ sessions: 12000, items: 300, seed: reports })));
        },
    });
    assert.ok(mem.buffer.byteLength > start, `the heap grew during training (${start} -> ${mem.buffer.byteLength})`);
    const recsAfterTrain = gru.recommend(history, { k: 10 });
    assert.equal(recsAfterTrain.length, 10);
    for (const r of recsAfterTrain) assert.ok(Number.isFinite(r.score));
    // interleave growth and recommendation
    for (let i = 0; i < 3; i++) {
        const grown = mem.buffer.byteLength;
        held.push(e2.dataset(e2.generate({ sessions: 6000, items: 400, seed: 100 + i })));
        assert.ok(mem.buffer.byteLength >= grown);
        assert.deepEqual(m.recommend(history, { k: 10 }), before, 'same recommendations after growth');
    }
    assert.deepEqual(m.save(), bytesBefore, 'the same model file after growth');
    assert.equal(e2.loadModel(bytesBefore).recommend(history, { k: 10 }).length, 10);
    // a caller's view taken before growth is theirs to refresh; ours are made fresh each call
    const stale = new Uint8Array(mem.buffer);
    held.push(e2.dataset(e2.generate({ sessions: 20000, items: 500, seed: 77 })));
    // growth detaches old views of a plain memory, and leaves those of a shared one at their old
    // length: either way the binding must not keep any
    if (threads === 1) assert.equal(stale.byteLength, 0);
    else assert.ok(stale.byteLength < mem.buffer.byteLength);
    assert.deepEqual(m.recommend(history, { k: 10 }), before);
    e2.dispose();
});

test('dispose, Symbol.dispose and use after dispose', async () => {
    const e2 = await loadEngine();
    const d = e2.dataset(e2.generate({ sessions: 200, items: 50, seed: 1 }));
    const m = e2.model('markov').fit(d);
    assert.equal(typeof m[Symbol.dispose], 'function');
    m[Symbol.dispose]();
    assert.equal(m.disposed, true);
    m.dispose(); // idempotent
    assert.throws(() => m.recommend([]), /disposed/);
    d[Symbol.dispose]();
    assert.throws(() => d.itemId(0), /disposed/);
    const m2 = e2.model('pop');
    e2[Symbol.dispose]();
    assert.equal(m2.disposed, true, 'the engine frees what it made');
    assert.throws(() => e2.model('pop'), /disposed/);
    assert.ok(Engine.prototype[Symbol.dispose] && Model.prototype[Symbol.dispose] && Dataset.prototype[Symbol.dispose]);
});

test('worker engine: memoryMB reaches the worker engine, whose fits are refused over it', async (t) => {
    const w = await createWorkerEngine({ memoryMB: 16 });
    t.after(() => w.terminate());
    const d = await w.dataset(new TextEncoder().encode(await w.generate({ sessions: 200, items: 40, seed: 3 })));
    const wide = await w.model('gru4rec', { dim: 1024, epochs: 1 });
    await assert.rejects(wide.fit(d), /gru4rec: the weights and their training state .* over the memory budget of 16 MB/);
    const small = await w.model('gru4rec', { dim: 8, epochs: 1 });
    await small.fit(d);
    assert.equal((await small.recommend([], { k: 3 })).length, 3);
});

test('worker engine (worker_threads): fit with progress, cancellation, moved buffers, errors', async (t) => {
    const w = await createWorkerEngine();
    t.after(() => w.terminate());
    assert.match(w.version, /^\d+\.\d+/);
    const text = await w.generate({ sessions: 1500, items: 200, seed: 4 });
    const bytes = new TextEncoder().encode(text);
    const d = await w.dataset(bytes);
    assert.equal(bytes.byteLength, 0, 'the input bytes were moved to the worker, not copied');
    assert.equal(d.users, 1500);

    // one-pass model: progress is start and end
    const knn = await w.model('itemknn');
    const seen = [];
    const last = await knn.fit(d, { onProgress: (p) => seen.push(p) });
    assert.equal(seen.length, 2);
    assert.equal(seen[0].done, false);
    assert.equal(seen[1].done, true);
    assert.equal(last.done, true);
    assert.ok(knn.items > 0);
    const firstId = (await d.catalogue())[0].id;
    const recs = await knn.recommend([firstId], { k: 5 });
    assert.equal(recs.length, 5);

    // stepwise model: many progress events, stopped by the signal
    const gru = await w.model('gru4rec', { dim: 16, epochs: 50 });
    const ac = new AbortController();
    let n = 0;
    await assert.rejects(gru.fit(d, { signal: ac.signal, chunk: 4, onProgress: () => { if (++n === 5) ac.abort(); } }),
        (e) => e.name === 'AbortError');
    // aborted before it starts: never sent
    await assert.rejects(gru.fit(d, { signal: AbortSignal.abort() }), (e) => e.name === 'AbortError');
    // the worker is still fine and the model usable afterwards
    assert.equal((await gru.recommend([recs[0].item], { k: 3 })).length, 3);

    // save: bytes come back (moved, own buffer) and load again
    const saved = await knn.save();
    assert.ok(saved instanceof Uint8Array && saved.byteOffset === 0 && saved.byteLength === saved.buffer.byteLength);
    const again = await w.loadModel(saved);
    assert.deepEqual(await again.recommend([firstId], { k: 5 }), recs);
    assert.deepEqual(await again.itemIndexes([recs[0].item, 'no-such-item']).then((r) => r.map((i) => i >= 0)), [true, false]);

    // bad arguments and engine errors cross the worker boundary with their type and message
    await rejectsArgAsync(w.model('gpt5'), 'gpt5', RangeError);
    await rejectsArgAsync(knn.recommend('x'), 'history', TypeError);
    await rejectsArgAsync(knn.recommend([], { k: -2 }), 'k', RangeError);
    await rejectsArgAsync(knn.recommend([], { top: 2 }), 'top', RangeError);
    await rejectsArgAsync(knn.fit(d, { epoch: 2 }), 'epoch', RangeError);
    await rejectsArgAsync(knn.fit('d'), 'dataset', TypeError);
    await rejectsArgAsync(knn.fit(d, { onProgress: 3 }), 'onProgress', TypeError);
    await rejectsArgAsync(w.dataset(5), 'input', TypeError);
    await rejectsArgAsync(w.dataset('x', { sep: ',' }), 'sep', RangeError);
    await rejectsArgAsync(w.model('itemknn', { neighbours: 5 }), 'neighbours', WasmrecError);
    await assert.rejects(w.loadModel(new Uint8Array(16), { source: 'bad.safetensors' }), (e) => e instanceof WasmrecError && /bad\.safetensors/.test(e.message));
    await rejectsArgAsync(createWorkerEngine({ wasm: 1 }), 'wasm', RangeError);

    // dispose
    await again.dispose();
    await assert.rejects(again.recommend([]), /disposed/);
    assert.ok(WorkerModel.prototype[Symbol.asyncDispose]);
    await d.dispose();
    w.terminate();
    await assert.rejects(knn.recommend([]), /disposed|terminated/);
});

test('store without IndexedDB (Node, private mode): a clear error, and it keeps working in memory', async () => {
    const s = await openStore();
    assert.equal(s.persistent, false);
    assert.ok(s.error instanceof StoreError);
    assert.match(s.error.message, /IndexedDB could not be opened/);
    assert.match(s.error.message, /in memory/);
    await s.addEvent({ session: 'a', item: 'x', ts: 1000 });
    await s.addEvent({ session: 'a', item: 'y', ts: 2000 });
    await s.addEvent({ session: 'b', item: 'x', ts: 3000 });
    assert.deepEqual((await s.sessions()).map((x) => x.items), [['x', 'y'], ['x']]);
    assert.equal(await s.eventsCsv(), 'session,item,timestamp\na,x,1\na,y,2\nb,x,3\n');
    await s.saveModel('m', new Uint8Array([1, 2, 3]), { v: 1 });
    assert.deepEqual([...(await s.loadModel('m')).bytes], [1, 2, 3]);
    await s.forget();
    assert.deepEqual(await s.events(), []);
    assert.equal(await s.loadModel('m'), null);
    await assert.rejects(s.addEvent({ session: 'a' }), (e) => e instanceof TypeError && /event\.item/.test(e.message));
    await assert.rejects(s.addEvent({ session: 'a', item: 'x', when: 1 }), (e) => e instanceof RangeError && /when/.test(e.message));
    await assert.rejects(s.saveModel('m', 'bytes'), (e) => e instanceof TypeError && /bytes/.test(e.message));
    await assert.rejects(openStore({ nme: 'x' }), (e) => e instanceof RangeError && /nme/.test(e.message));
});

test('Recommender: pretrained model, observe, recommend, fineTune (addSession and refit), forget', async (t) => {
    const rec = await createRecommender({ model: DEMO_MODEL, k: 5 });
    t.after(() => rec.dispose());
    assert.equal(rec.modelName, 'vsknn');
    assert.equal(rec.persistent, false, 'no IndexedDB in Node: in memory');
    const empty = await rec.recommend();
    assert.equal(empty.items.length, 5);
    assert.deepEqual(await rec.observe('tv-009', { ts: 1_000_000 }), { session: rec.session.id, known: true });
    assert.equal((await rec.observe('not-in-the-catalogue', { ts: 1_001_000 })).known, false);
    const r1 = await rec.recommend();
    assert.deepEqual(r1.unknown, ['not-in-the-catalogue']);
    assert.equal(r1.items.length, 5);
    // 'auto' by default: the demo store repeats items (about 8% of its events), so history stays
    assert.equal(r1.excludeSeen.mode, 'auto');
    assert.equal(r1.excludeSeen.applied, false);
    assert.match(r1.excludeSeen.reason, /repeat an item already in that user's history \(at least 1%\)/);
    const r1x = await rec.recommend({ excludeSeen: true });
    assert.equal(r1x.excludeSeen.applied, true);
    assert.ok(!r1x.items.some((x) => x.item === 'tv-009'), 'excludeSeen: true drops the history');
    assert.equal((await rec.fineTune()).action, 'skipped', 'the current session is not finished');
    // a long pause starts a new session
    const first = rec.session.id;
    await rec.observe('tv-011', { ts: 1_001_000 + 31 * 60_000 });
    assert.notEqual(rec.session.id, first);
    const ft = await rec.fineTune();
    assert.equal(ft.action, 'addSession');
    assert.equal(ft.sessions, 1);
    assert.deepEqual(ft.unknown, ['not-in-the-catalogue']);
    assert.match(ft.message, /added 1 finished session/);
    assert.equal((await rec.fineTune()).action, 'skipped', 'a session is added once');
    await rejectsArgAsync(rec.observe(5), 'itemId', TypeError);
    await rejectsArgAsync(rec.recommend({ k: -1 }), 'k', RangeError);
    await rejectsArgAsync(rec.recommend({ count: 1 }), 'count', RangeError);
    await rejectsArgAsync(rec.fineTune({ minEvent: 1 }), 'minEvent', RangeError);
    await rec.forget();
    assert.equal(rec.session.items.length, 0);
    assert.equal(rec.modelSource, 'pretrained');
    assert.deepEqual(await rec.store.events(), []);
    await rejectsArgAsync(createRecommender({}), 'model', TypeError);
    await rejectsArgAsync(createRecommender({ model: DEMO_MODEL, kk: 1 }), 'kk', RangeError);
});

test('Recommender with a non-kNN model refits on enough local history and says so', async (t) => {
    const e = await loadEngine();
    const d = e.dataset(e.generate({ sessions: 300, items: 60, seed: 2 }));
    const bytes = e.model('itemknn', { neighbors: 20 }).fit(d).save();
    const items = d.catalogue().map((c) => c.id);
    e.dispose();
    const rec = await createRecommender({ model: bytes, sessionGapMs: 1000 });
    t.after(() => rec.dispose());
    let ts = 0;
    for (let s = 0; s < 3; s++) for (let i = 0; i < 4; i++) await rec.observe(items[(s * 7 + i) % items.length], { ts: (ts += s && i === 0 ? 5000 : 10) });
    const few = await rec.fineTune({ minEvents: 20, minSessions: 2 });
    assert.equal(few.action, 'skipped');
    assert.match(few.message, /not enough/);
    for (let s = 0; s < 6; s++) for (let i = 0; i < 4; i++) await rec.observe(items[(s * 5 + i * 3) % items.length], { ts: (ts += i === 0 ? 5000 : 10) });
    const progress = [];
    const ft = await rec.fineTune({ minEvents: 20, minSessions: 2, onProgress: (p) => progress.push(p) });
    assert.equal(ft.action, 'refit');
    assert.equal(ft.events, 36);
    assert.match(ft.message, /retrained on the local history/);
    assert.ok(progress.length >= 2 && progress.at(-1).done);
    assert.equal(rec.model.name, 'itemknn');
    assert.equal(rec.model.params.neighbors, 20, 'same hyper-parameters');
    assert.equal((await rec.recommend({ k: 3 })).items.length, 3);
});

test('tsc --noEmit: the .d.ts files against a typed usage file', { timeout: 120_000 }, async () => {
    const tsc = new URL('../../node_modules/.bin/tsc', import.meta.url);
    if (!existsSync(tsc)) assert.fail('node_modules/.bin/tsc is missing: run `npm ci` (make deps)');
    const args = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--lib', 'es2022,dom,esnext.disposable',
        '--types', '', 'tests/node/types-usage.ts'];
    const out = await new Promise((resolve) => {
        execFile(fileURLToPath(tsc), args, { cwd: ROOT }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, text: stdout + stderr }));
    });
    assert.equal(out.code, 0, out.text);
});

test('worker engine: looking inside and titles go through the worker too', async (t) => {
    const w = await createWorkerEngine();
    t.after(() => w.terminate());
    const d = await w.dataset('1\t10\t5\t1\n1\t20\t4\t2\n2\t10\t3\t1\n2\t30\t4\t2\n1\t30\t4\t3\n', { format: 'movielens', source: 'u.data' });
    assert.deepEqual(Array.from(await d.lengths()), [3, 2]);
    await d.loadTitles('10|Toy Story (1995)|01-Jan-1995\n20|GoldenEye (1995)|01-Jan-1995\n30|Four Rooms (1995)|01-Jan-1995\n', { source: 'u.item' });
    assert.equal((await d.catalogue()).find((it) => it.id === '10').title, 'Toy Story (1995)');
    const knn = await w.model('itemknn');
    await knn.fit(d);
    const why = await knn.explain(['20', '10'], '30');
    assert.deepEqual(why.history.map((h) => h.item), ['20', '10']);
    assert.equal(why.history[0].weight, 0);
    assert.ok(why.history[1].weight > 0, '10 and 30 share a session');
    await assert.rejects(knn.itemMap(), /no item embeddings/);
    await assert.rejects(knn.attention(['10']), /no attention/);
});

test('titles in recommendations, titles matched, items a model knows, and one answer to an unknown history', async (t) => {
    const e = await loadEngine();
    t.after(() => e.dispose());
    const d = e.dataset('1\t10\t5\t1\n1\t20\t4\t2\n1\t30\t3\t3\n2\t20\t5\t1\n2\t30\t4\t2\n2\t10\t3\t3\n3\t20\t1\t1\n', { format: 'movielens' });
    assert.equal(d.titled, 0);
    assert.equal(d.loadTitles('10|Toy Story (1995)|x\n20|GoldenEye (1995)|x\n99|Nope|x\n').titled, 2);
    const w = await createWorkerEngine();
    t.after(() => w.terminate());
    const wd = await w.dataset('1\t10\t5\t1\n1\t20\t4\t2\n', { format: 'movielens' });
    assert.equal((await wd.loadTitles('20|GoldenEye (1995)|x\n')).titled, 1);
    for (const name of ['pop', 'markov', 'itemknn', 'vsknn', 'gru4rec', 'sasrec', 'bert4rec']) {
        const m = e.model(name, ['gru4rec', 'sasrec', 'bert4rec'].includes(name) ? { dim: 4, epochs: 1 } : {}).fit(d);
        const back = e.loadModel(m.save());
        assert.equal(back.knownItems(d), 3);
        // a history the model does not know at all: the most popular items, for every model, and the ids reported
        const r = back.recommendDetailed(['nope', 'nada'], { k: 2 });
        assert.deepEqual(r.unknown, ['nope', 'nada']);
        assert.deepEqual(r.items.map((x) => [x.item, x.score, x.title]), [['20', 3, 'GoldenEye (1995)'], ['10', 2, 'Toy Story (1995)']], name);
        assert.equal(back.itemTitle(back.itemIndex('30')), '');
    }
    const other = e.dataset('1\ta\t5\t1\n1\tb\t4\t2\n', { format: 'movielens' });
    assert.equal(e.model('pop').fit(d).knownItems(other), 0);
});

test('worker: labelled data, a held-out-event protocol and mf by user, as in the thread', async () => {
    const rows = ['user,item,rating,timestamp'];
    for (let u = 0; u < 40; u++)
        for (let i = 0; i < 10; i++)
            if ((i + u) % 4 !== 0) rows.push(`u${u},i${(u % 2) * 10 + i},${1 + ((u * 3 + i) % 5)},${100 + u * 20 + i}`);
    const we = await createWorkerEngine();
    try {
        const d = await we.dataset(rows.join('\n') + '\n', { label: 'rating>=4', drop: 'rating==3' });
        assert.equal(d.labelled, true);
        assert.equal(d.hasRatings, true);
        const m = await we.model('mf', { loss: 'bce', epochs: 3 });
        const last = await m.fit(d, { protocol: 'temporal', fractions: [0.8, 0.1, 0.1] });
        assert.ok(last.done);
        assert.equal(m.users, 40);
        const r = await m.evaluate(d, { protocol: 'temporal', fractions: [0.8, 0.1, 0.1] });
        assert.equal(typeof r.full.AUC, 'number');
        assert.equal((await m.recommend([], { user: 'u3', k: 3 })).length, 3);
        await assert.rejects(we.dataset('user,item\na,x\na,y\n', { drop: 'rating==1' }), /no rating or label column/);
    } finally {
        await we.terminate?.();
        await we.dispose?.();
    }
});

test('worker: compare and experiment, as in the thread', async () => {
    const we = await createWorkerEngine();
    try {
        const d = await we.generateDataset({ sessions: 600, items: 80, seed: 2 });
        const pop = await we.model('pop'), markov = await we.model('markov');
        for (const m of [pop, markov]) await m.fit(d, { leaveOneOut: true });
        const { report, perUser } = await we.compare(d, [pop, markov]);
        assert.equal(report.models.length, 2);
        assert.ok(perUser.startsWith('user,arm,HR@10,NDCG@10,MRR@10'));
        const e = await we.experiment(d, markov, pop);
        assert.ok(e.interleaving.wins_a > e.interleaving.wins_b);
        await assert.rejects(we.compare(d, [pop]), /2 to 8/);
        await assert.rejects(we.compare(d, 'pop'), /WorkerModels/);
    } finally {
        await we.terminate?.();
    }
});
