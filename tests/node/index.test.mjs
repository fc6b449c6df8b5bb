// index.test.mjs: the nearest-neighbour index through the JS binding (engine.index), on the real
// wasm/wasmrec.wasm: add, search (HNSW and the exact scan), save and load, argument checks, free.
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadEngine, WasmrecError } from '../../wasm/wasmrec.mjs';

const engine = await loadEngine();

// n vectors of dim around 20 centres, from a small seeded generator (the same every run)
function clustered(n, dim, seed) {
    let s = seed >>> 0;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
    const centres = Array.from({ length: 20 }, () => Array.from({ length: dim }, () => 4 * rnd()));
    const v = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
        const c = centres[i % 20];
        for (let j = 0; j < dim; j++) v[i * dim + j] = c[j] + rnd();
    }
    return v;
}

test('index: add, search near the exact scan, save and load, free', () => {
    const dim = 16, n = 2000;
    const vecs = clustered(n, dim, 3);
    const ix = engine.index({ dim, metric: 'cosine', M: 12, efConstruction: 100, seed: 5 });
    assert.equal(ix.add(vecs.subarray(0, 1000 * dim)), ix);
    ix.add(vecs.subarray(1000 * dim));
    assert.equal(ix.count, n);
    assert.equal(ix.dim, dim);
    assert.ok(ix.memoryBytes > n * dim * 4);
    const q = vecs.slice(7 * dim, 8 * dim);
    const hit = ix.search(q, { k: 10, efSearch: 50 });
    assert.ok(hit.ids instanceof Int32Array && hit.scores instanceof Float32Array);
    assert.equal(hit.ids.length, 10);
    assert.equal(hit.ids[0], 7); // a vector is its own best cosine
    assert.ok(Math.abs(hit.scores[0] - 1) < 1e-5);
    for (let i = 1; i < 10; i++) assert.ok(hit.scores[i - 1] >= hit.scores[i]);
    // recall@10 against the exact scan (efSearch 0) over 50 queries given as one array
    const queries = vecs.slice(0, 50 * dim).map((x, i) => x + 0.1 * Math.sin(i));
    const exact = ix.search(queries, { k: 10, efSearch: 0 });
    const approx = ix.search(queries, { k: 10, efSearch: 40 });
    assert.equal(exact.length, 50);
    let found = 0;
    for (let r = 0; r < 50; r++) for (const id of approx[r].ids) found += exact[r].ids.includes(id);
    assert.ok(found / 500 >= 0.95, `recall@10 ${found / 500}`);
    // save and load: the same answers
    const bytes = ix.save();
    const back = engine.loadIndex(bytes, { source: 'ix.safetensors' });
    assert.deepEqual(back.search(q, { k: 10, efSearch: 50 }), hit);
    // the same seed: the same bytes
    const twin = engine.index({ dim, metric: 'cosine', M: 12, efConstruction: 100, seed: 5 }).add(vecs);
    assert.deepEqual(twin.save(), bytes);
    twin.free();
    back.free();
    ix.free();
    ix.free(); // idempotent
    assert.throws(() => ix.search(q), /disposed/);
    assert.throws(() => engine.loadIndex(bytes.subarray(0, 100), { source: 'cut.safetensors' }),
        (e) => e instanceof WasmrecError && e.status === 'WR_ERR_FORMAT' && /cut\.safetensors/.test(e.message));
});

test('index: arguments are checked, and the engine names a bad setting', () => {
    assert.throws(() => engine.index({ dim: 0 }), RangeError);
    assert.throws(() => engine.index({ dim: 4, metric: 'l2' }), /metric must be 'ip' or 'cosine'/);
    assert.throws(() => engine.index({ dim: 4, efconstruction: 3 }), /unknown option "efconstruction"/);
    assert.throws(() => engine.index({ dim: 4, M: 1 }), (e) => e instanceof WasmrecError && /M must be an integer in \[2, 1024\]/.test(e.message));
    const ix = engine.index({ dim: 4 });
    assert.throws(() => ix.add([1, 2, 3, 4]), TypeError);
    assert.throws(() => ix.add(new Float32Array(6)), /whole number of 4-float vectors/);
    assert.throws(() => ix.add(new Float32Array([1, 2, NaN, 4])), (e) => e instanceof WasmrecError && /component 2 is not a finite number/.test(e.message));
    ix.add(new Float32Array([1, 0, 0, 0, 0, 2, 0, 0]));
    const r = ix.search(new Float32Array([0, 1, 0, 0]), { k: 5 });
    assert.deepEqual([...r.ids], [1, 0]); // fewer than k: the rows are cut
    assert.deepEqual([...r.scores], [2, 0]);
    assert.throws(() => ix.search(new Float32Array(4), { k: 0 }), RangeError);
    ix.dispose();
});
