// threads.test.mjs: the threaded module (wasm/wasmrec-mt.wasm) through the binding, against the
// single-thread one: which module loadEngine picks and reports, that 1, 2 and 4 threads (and the
// single-thread module) train byte-identical model files with the same reports and
// recommendations, the worker engine's threads, the wasm CLI's --threads, and bad settings.
// Run with `make test-node` or `node --test tests/node/`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEngine } from 'wasmrec';
import { createWorkerEngine } from 'wasmrec/worker';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODELS = [
    ['sasrec', { loss: 'ce', dim: 16, epochs: 2 }],
    ['bert4rec', { dim: 16, epochs: 2 }],
    ['gru4rec', { n_sample: 0, dim: 16, epochs: 2 }],
    ['twotower', { epochs: 2 }],
];

/** trains every model of MODELS on one engine; returns [{ bytes, report, recs }] */
async function trainAll(engine) {
    const data = engine.dataset(engine.generate({ sessions: 400, items: 120, seed: 4 }), { source: 'store.csv' });
    const history = [data.itemId(0), data.itemId(1), data.itemId(2)];
    const out = [];
    for (const [name, sets] of MODELS) {
        const m = engine.model(name, { seed: 7, ...sets });
        const progress = await m.train(data, { leaveOneOut: true });
        delete progress.positionsPerSecond; // the clock differs, nothing else may
        const report = m.evaluate(data);
        out.push({ name, bytes: Buffer.from(m.save()), progress, report, recs: m.recommend(history, { k: 5 }) });
        m.dispose();
    }
    data.dispose();
    return out;
}

test('loadEngine picks the module by threads and reports it', async () => {
    const one = await loadEngine({ threads: 1 });
    assert.equal(one.build, 'single');
    assert.equal(one.threads, 1);
    one.dispose();
    const two = await loadEngine({ threads: 2 });
    assert.equal(two.build, 'threads');
    assert.equal(two.threads, 2);
    assert.equal(two.runtime.exports.wr_threads(), 2);
    two.dispose();
    const auto = await loadEngine();
    assert.ok(auto.threads >= 1 && auto.threads <= 8);
    auto.dispose();
    for (const bad of [0, -1, 1.5, 65, '2', null]) {
        await assert.rejects(loadEngine({ threads: bad }), (e) => e instanceof TypeError && /threads/.test(e.message), String(bad));
    }
});

test('1, 2 and 4 threads and the single-thread module train the same bits', async () => {
    const runs = [];
    for (const threads of [1, 2, 4]) {
        const e = await loadEngine({ threads });
        assert.equal(e.threads, threads);
        runs.push(await trainAll(e));
        e.dispose();
    }
    const mt1 = await loadEngine({ wasmBytes: readFileSync(join(ROOT, 'wasm/wasmrec-mt.wasm')), threads: 1 });
    assert.equal(mt1.build, 'threads');
    runs.push(await trainAll(mt1));
    mt1.dispose();
    for (const run of runs.slice(1)) {
        run.forEach((r, i) => {
            assert.ok(r.bytes.equals(runs[0][i].bytes), `${r.name}: model file differs`);
            assert.deepEqual(r.progress, runs[0][i].progress, `${r.name}: training differs`);
            assert.deepEqual(r.report, runs[0][i].report, `${r.name}: report differs`);
            assert.deepEqual(r.recs, runs[0][i].recs, `${r.name}: recommendations differ`);
        });
    }
});

test('the worker engine runs the threads in its worker', async () => {
    const w = await createWorkerEngine({ threads: 2 });
    try {
        assert.equal(w.threads, 2);
        assert.equal(w.build, 'threads');
        const d = await w.dataset(await w.generate({ sessions: 200, items: 80, seed: 2 }));
        const m = await w.model('sasrec', { dim: 16, epochs: 1 });
        const last = await m.fit(d);
        assert.ok(last.done && last.epoch === 1 && last.loss > 0);
        assert.equal((await m.recommend([], { k: 3 })).length, 3);
    } finally {
        w.terminate();
    }
    await assert.rejects(createWorkerEngine({ threads: 'many' }), /threads/);
});

test('the wasm CLI: --threads 2 writes the file --threads 1 does, and checks the value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmrec-threads-'));
    try {
        const store = join(dir, 'store.csv');
        execFileSync('node', ['wasm/cli.mjs', 'gen', '--out', store, '--sessions', '300', '--items', '100'], { cwd: ROOT, stdio: 'pipe' });
        const files = [1, 2].map((t) => {
            const out = join(dir, `m${t}.safetensors`);
            execFileSync('node', ['wasm/cli.mjs', 'train', '--data', store, '--model', 'sasrec', '--set', 'dim=16', '--epochs', '1',
                '--threads', String(t), '--out', out], { cwd: ROOT, stdio: 'pipe' });
            return readFileSync(out);
        });
        assert.ok(files[0].equals(files[1]));
        assert.throws(() => execFileSync('node', ['wasm/cli.mjs', 'train', '--data', store, '--model', 'pop', '--threads', '0'],
            { cwd: ROOT, stdio: 'pipe' }), (e) => /--threads must be an integer in \[1, 64\], got "0"/.test(String(e.stderr)));
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});
