// retrieval.test.mjs: the two-tower model and the two-stage pipeline through the JS binding and
// the worker, on the real wasm/wasmrec.wasm: item and query vectors against recommend, the
// pipeline's stages and their order, the model file, cold users from their features alone.
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadEngine, WasmrecError } from '../../wasm/wasmrec.mjs';
import { createWorkerEngine } from '../../wasm/worker-client.mjs';

const engine = await loadEngine();
const g = engine.generate({ sessions: 800, items: 150, seed: 3, features: true });

test('twotower: vectors rank as recommend does; cold users get recommendations from their features', async () => {
    const d = engine.dataset(g.events, { label: 'label==1', users: g.users, items: g.items });
    const m = engine.model('twotower', { dim: 16, epochs: 5, seed: 2 });
    const last = await m.train(d, { protocol: 'cold-users', fractions: [0.8, 0, 0.2] });
    assert.ok(last.heldOut > 0, 'no validation part: 10% of the training users held out to stop early');
    const { items, dim, vectors } = m.itemVectors();
    assert.equal(dim, 16);
    assert.equal(vectors.length, items.length * dim);
    const history = [items[3], items[8]];
    const q = m.queryVector(history, { user: '7' });
    assert.equal(q.length, 16);
    const dots = items.map((id, i) => ({ id, s: vectors.subarray(i * dim, (i + 1) * dim).reduce((a, x, c) => a + x * q[c], 0) }));
    const best = dots.filter((x) => !history.includes(x.id)).sort((a, b) => b.s - a.s || 0).slice(0, 5).map((x) => x.id);
    const recs = m.recommend(history, { k: 5, user: '7', excludeSeen: true }).map((r) => r.item);
    assert.deepEqual(recs, best);
    const report = m.evaluate(d, { protocol: 'cold-users', fractions: [0.8, 0, 0.2] });
    assert.ok(report.full['Recall@10'] > 0);
    assert.ok(report.full.baselines.pop['NDCG@10'] > 0);
    assert.throws(() => engine.model('pop').itemVectors(), WasmrecError);
    // a visitor by profile: different profiles, different lists; an unknown value is named
    const users = g.users.split('\n')[0].split(',');
    assert.deepEqual(users.slice(1), ['device', 'region']);
    const a = m.recommend([], { userFeatures: { device: 'mobile', region: 'south' } }).map((r) => r.item);
    const b = m.recommend([], { userFeatures: { device: 'desktop', region: 'north' } }).map((r) => r.item);
    assert.equal(a.length, 10);
    assert.notDeepEqual(a, b);
    assert.deepEqual(m.recommend([], { userFeatures: { device: 'mobile', region: 'south' } }).map((r) => r.item), a);
    assert.equal(m.queryVector([], { userFeatures: { device: 'mobile' } }).length, 16);
    assert.throws(() => m.recommend([], { userFeatures: { device: 'phone' } }), /device.*phone/);
    assert.throws(() => m.recommend([], { user: '3', userFeatures: { device: 'mobile' } }), /not both/);
    // a new item from its features: a vector of the same size, different for different features
    const cols = g.items.split('\n')[0].split(',');
    assert.deepEqual(cols.slice(1), ['category', 'group', 'price']);
    const row = g.items.split('\n')[1].split(',');
    const nv = m.itemVectorFor({ category: row[1], group: row[2], price: row[3] });
    assert.equal(nv.length, 16);
    assert.ok(Math.abs(nv.reduce((a, x) => a + x * x, 0) - 1) < 1e-4, 'an L2-normalised item vector');
    assert.notDeepEqual(m.itemVectorFor({ category: row[1] }), nv);
    assert.throws(() => m.itemVectorFor({ category: 'Spaceships' }), /category.*Spaceships/);
    const fromFile = engine.loadModel(m.save());
    assert.deepEqual(fromFile.recommend([], { userFeatures: { device: 'mobile', region: 'south' } }).map((r) => r.item), a);
    fromFile.dispose();
    m.dispose();
    d.dispose();
});

test('pipeline: candidates from the first stage, ordered by the second; saved whole', async () => {
    const d = engine.dataset(g.events, { label: 'label==1', users: g.users, items: g.items });
    const m = engine.model('pipeline', { rank: 'fm', candidates: 20, 'retrieve.dim': 16, 'retrieve.epochs': 4, 'rank.epochs': 4 });
    await m.train(d, { protocol: 'random' });
    const history = [m.itemId(0), m.itemId(5)];
    const two = m.twoStage(history);
    assert.equal(two.retrieve, 'twotower');
    assert.equal(two.rank, 'fm');
    assert.equal(two.candidates.length, 20);
    assert.deepEqual(new Set(two.ranked.map((r) => r.item)), new Set(two.candidates.map((r) => r.item)));
    assert.ok(two.ranked.every((r, i) => i === 0 || r.score <= two.ranked[i - 1].score));
    assert.ok(two.ranked.every((r) => Number.isInteger(r.retrievedAt)));
    const back = engine.loadModel(m.save());
    assert.deepEqual(back.twoStage(history), two);
    assert.throws(() => engine.model('pipeline', { 'retrieve.nope': 1 }), /retrieve\.nope/);
    assert.throws(() => engine.model('pop').twoStage(history), /not a pipeline/);
    back.dispose();
    m.dispose();
    d.dispose();
});

test('worker: vectors and the two stages through the worker', async (t) => {
    const w = await createWorkerEngine();
    t.after(() => w.terminate());
    const d = await w.dataset(new TextEncoder().encode(g.events), { label: 'label==1', users: g.users, items: g.items });
    const m = await w.model('pipeline', { rank: 'lr', candidates: 10, 'retrieve.dim': 8, 'retrieve.epochs': 2, 'rank.epochs': 2 });
    await m.fit(d, { protocol: 'random' });
    const two = await m.twoStage([]);
    assert.equal(two.candidates.length, 10);
    const tt = await w.model('twotower', { dim: 8, epochs: 2 });
    await tt.fit(d, {});
    const v = await tt.itemVectors();
    assert.equal(v.dim, 8);
    assert.equal((await tt.queryVector([v.items[0]])).length, 8);
});
