// cli.test.mjs: the Node command line (wasm/cli.mjs on wasm/wasmrec.wasm) against its native twin
// (build/wasmrec, same C code): same files, same metrics, same recommendations, same errors.
// Run with `make test-node` (builds both first).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NATIVE = path.join(ROOT, 'build/wasmrec');
const WASM_CLI = path.join(ROOT, 'wasm/cli.mjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmrec-cli-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

const runners = {
    native: (args) => spawnSync(NATIVE, args, { cwd: dir, encoding: 'utf8' }),
    wasm: (args) => spawnSync(process.execPath, [WASM_CLI, ...args], { cwd: dir, encoding: 'utf8' }),
};

function run(kind, args) {
    const r = runners[kind](args);
    if (r.error) throw new Error(`${kind}: could not run (${r.error.message}); build it with \`make ${kind}\``);
    return r;
}
function ok(kind, args) {
    const r = run(kind, args);
    assert.equal(r.status, 0, `${kind} ${args.join(' ')} exited ${r.status}\n${r.stderr}`);
    return r;
}
const read = (f) => fs.readFileSync(path.join(dir, f));

test('gen: native and wasm write identical files', () => {
    for (const kind of ['native', 'wasm']) ok(kind, ['gen', '--out', `${kind}.csv`, '--sessions', '500', '--items', '200', '--seed', '1']);
    const a = read('native.csv');
    assert.ok(a.length > 0);
    assert.match(a.toString('utf8'), /^session,item,category,title,timestamp\n/);
    assert.deepEqual(read('wasm.csv'), a);
    assert.ok(!fs.existsSync(path.join(dir, 'wasm.csv.tmp')), 'no temporary file left behind');
});

test('train --eval loo --json: same report natively and in wasm', () => {
    const reports = {};
    for (const kind of ['native', 'wasm']) {
        const r = ok(kind, ['train', '--data', 'native.csv', '--model', 'markov', '--eval', 'loo', '--json', '--out', `${kind}.safetensors`]);
        const j = JSON.parse(r.stdout);
        assert.equal(j.model, 'markov');
        assert.equal(j.dataset.users, 500);
        assert.ok(j.dataset.items > 0 && j.dataset.items <= 200);
        assert.ok(j.dataset.events > 500);
        assert.equal(typeof j.train_seconds, 'number');
        for (const m of ['HR@10', 'NDCG@10', 'MRR@10']) {
            assert.equal(typeof j.test[m], 'number', `test.${m}`);
            assert.ok(j.test[m] >= 0 && j.test[m] <= 1);
        }
        for (const m of ['HR@10', 'NDCG@10']) assert.equal(typeof j.test_sampled100[m], 'number', `test_sampled100.${m}`);
        delete j.train_seconds;
        reports[kind] = j;
    }
    assert.deepEqual(reports.wasm, reports.native);
    assert.deepEqual(read('wasm.safetensors'), read('native.safetensors'), 'same model file');
});

test('neural models train to the same bits natively and in wasm (same report, same model file)', () => {
    for (const model of ['gru4rec', 'sasrec']) {
        const reports = {};
        for (const kind of ['native', 'wasm']) {
            const r = ok(kind, ['train', '--data', 'native.csv', '--model', model, '--set', 'epochs=2', '--set', 'dim=16',
                '--eval', 'loo', '--json', '--out', `${kind}-${model}.safetensors`]);
            const j = JSON.parse(r.stdout);
            assert.ok(j.test['NDCG@10'] > 0, `${model} learned something`);
            assert.equal(j.training.epochs, 2);
            delete j.train_seconds; // timings are the only thing allowed to differ
            delete j.training.positions_per_s;
            reports[kind] = j;
        }
        assert.deepEqual(reports.wasm, reports.native, model);
        assert.deepEqual(read(`wasm-${model}.safetensors`), read(`native-${model}.safetensors`), `${model}: same weights`);
    }
});

test('ease: the same report and the same item-item matrix natively and in wasm, above most-popular', () => {
    const reports = {};
    for (const kind of ['native', 'wasm']) {
        const j = JSON.parse(ok(kind, ['train', '--data', 'native.csv', '--model', 'ease', '--eval', 'loo', '--json', '--out', `${kind}-ease.safetensors`]).stdout);
        delete j.train_seconds;
        reports[kind] = j;
    }
    assert.deepEqual(reports.wasm, reports.native);
    assert.deepEqual(read('wasm-ease.safetensors'), read('native-ease.safetensors'));
    const pop = JSON.parse(ok('native', ['train', '--data', 'native.csv', '--model', 'pop', '--eval', 'loo', '--json']).stdout);
    assert.ok(reports.native.test['NDCG@10'] > 2 * pop.test['NDCG@10'], `ease ${reports.native.test['NDCG@10']} vs pop ${pop.test['NDCG@10']}`);
});

test('--preset: a models/*.json preset sets the model and its parameters; --set overrides', () => {
    const preset = path.join(ROOT, 'models/sasrec.demo.json');
    for (const kind of ['native', 'wasm']) {
        const r = ok(kind, ['train', '--data', 'native.csv', '--preset', preset, '--set', 'epochs=1', '--set', 'dim=8', '--json']);
        const j = JSON.parse(r.stdout);
        assert.equal(j.model, 'sasrec');
        assert.equal(j.params.max_len, 20);
        assert.equal(j.params.epochs, 1);
        assert.equal(j.params.dim, 8);
        const bad = run(kind, ['train', '--data', 'native.csv', '--preset', preset, '--model', 'gru4rec']);
        assert.equal(bad.status, 1);
        assert.match(bad.stderr, /sasrec\.demo\.json is a preset for sasrec, not gru4rec/);
    }
});

test('recommend --json: same answer natively and in wasm', () => {
    const csv = read('native.csv').toString('utf8').split('\n').slice(1, 4).map((l) => l.split(',')[1]);
    const history = csv.slice(0, 2).join(',');
    const out = {};
    for (const kind of ['native', 'wasm']) {
        const r = ok(kind, ['recommend', '--model', 'native.safetensors', '--history', history, '--json']);
        out[kind] = JSON.parse(r.stdout);
    }
    assert.deepEqual(out.wasm, out.native);
    const items = out.native.items ?? out.native.recommendations ?? out.native;
    assert.ok(Array.isArray(items) && items.length > 0, 'a list of recommendations');
    // and the wasm CLI reads the model file the wasm CLI wrote
    const r = ok('wasm', ['recommend', '--model', 'wasm.safetensors', '--history', history, '--json']);
    assert.deepEqual(JSON.parse(r.stdout), out.native);
});

test('bad input: nonzero exit and a message on stderr, the same way in both', () => {
    const cases = [
        ['train', '--data', 'missing.csv', '--model', 'pop'],
        ['recommend', '--model', 'missing.safetensors', '--history', 'a'],
        ['train', '--data', 'native.csv', '--model', 'pop', '--no-such-flag'],
        ['no-such-command'],
        ['gen', '--sessions', 'many', '--out', 'x.csv'],
    ];
    fs.writeFileSync(path.join(dir, 'garbage.safetensors'), 'not a model at all');
    cases.push(['recommend', '--model', 'garbage.safetensors', '--history', 'a']);
    for (const args of cases) {
        const res = {};
        for (const kind of ['native', 'wasm']) {
            const r = run(kind, args);
            assert.notEqual(r.status, 0, `${kind} ${args.join(' ')} should fail`);
            assert.ok(r.stderr.trim().length > 0, `${kind} ${args.join(' ')}: a message on stderr`);
            assert.equal(r.stdout, '', `${kind} ${args.join(' ')}: nothing on stdout`);
            res[kind] = r;
        }
        assert.equal(res.wasm.status, res.native.status, `${args.join(' ')}: same exit code`);
        assert.equal(res.wasm.stderr, res.native.stderr.replace(/\r/g, ''), `${args.join(' ')}: same message`);
    }
    const miss = run('wasm', ['train', '--data', 'missing.csv', '--model', 'pop']);
    assert.match(miss.stderr, /missing\.csv/);
});

test('wasm CLI with no module explains how to build it', () => {
    // A copy of cli.mjs next to a folder without wasmrec.wasm.
    const alone = fs.mkdtempSync(path.join(dir, 'alone-'));
    fs.copyFileSync(WASM_CLI, path.join(alone, 'cli.mjs'));
    for (const f of ['wasmrec.mjs', 'check.mjs', 'threads.mjs', 'thread-worker.mjs']) fs.copyFileSync(path.join(ROOT, 'wasm', f), path.join(alone, f));
    const r = spawnSync(process.execPath, [path.join(alone, 'cli.mjs'), 'gen'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /make wasm/);
});

test('--exclude-seen auto|yes|no (bare = yes): auto decides on the training data and the report says why', () => {
    // every user rates each movie once: no repeats, so auto excludes the history
    const lines = [];
    for (let u = 1; u <= 40; u++) for (let t = 0; t < 8; t++) lines.push(`${u}\t${(u * 7 + t * 3) % 50 + 1}\t4\t${1000 + u * 100 + t}`);
    fs.writeFileSync(path.join(dir, 'norepeat.data'), lines.join('\n') + '\n');
    for (const kind of ['native', 'wasm']) {
        const report = (...extra) => JSON.parse(ok(kind, ['train', '--data', 'norepeat.data', '--model', 'sknn', '--eval', 'loo', '--json', ...extra]).stdout);
        const auto = report();
        assert.equal(auto.protocol.exclude_seen, true);
        assert.equal(auto.protocol.exclude_seen_mode, 'auto');
        assert.equal(auto.protocol.repeat_share, 0);
        assert.match(auto.protocol.exclude_seen_reason, /^auto: 0\.00% of the events of the training data repeat .* \(under 1%\), so history items are excluded$/);
        const no = report('--exclude-seen', 'no');
        assert.equal(no.protocol.exclude_seen, false);
        assert.ok(no.test['NDCG@10'] < auto.test['NDCG@10'], 'keeping never-repeated history items costs the kNN model');
        assert.deepEqual(report('--exclude-seen', 'yes').test, auto.test);
        const bare = report('--exclude-seen'); // the bare flag, followed by another flag
        assert.equal(bare.protocol.exclude_seen_mode, 'yes');
        assert.deepEqual(bare.test, auto.test);
        const bad = run(kind, ['train', '--data', 'norepeat.data', '--model', 'pop', '--exclude-seen', 'maybe']);
        assert.equal(bad.status, 2);
        assert.match(bad.stderr, /unexpected argument "maybe"/);
        // recommend: the model file carries the share, so auto works without the data
        ok(kind, ['train', '--data', 'norepeat.data', '--model', 'markov', '--out', `norepeat-${kind}.safetensors`]);
        const rec = JSON.parse(ok(kind, ['recommend', '--model', `norepeat-${kind}.safetensors`, '--history', '8,11', '--k', '50', '--json']).stdout);
        assert.equal(rec.exclude_seen, true);
        assert.match(rec.exclude_seen_reason, /under 1%/);
        assert.ok(!rec.items.some((x) => x.item === '8' || x.item === '11'));
        const kept = JSON.parse(ok(kind, ['recommend', '--model', `norepeat-${kind}.safetensors`, '--history', '8,11', '--k', '50', '--exclude-seen', 'no', '--json']).stdout);
        assert.equal(kept.exclude_seen, false);
        assert.ok(kept.items.some((x) => x.item === '8' || x.item === '11'));
    }
});

test('titles travel in the model file; titles files and models of other data say how many ids matched', () => {
    fs.writeFileSync(path.join(dir, 'ml.data'), '1\t10\t5\t1\n1\t20\t4\t2\n1\t30\t3\t3\n2\t20\t5\t1\n2\t30\t4\t2\n2\t10\t3\t3\n');
    fs.writeFileSync(path.join(dir, 'u.item'), '10|Toy Story (1995)|01-Jan-1995\n20|GoldenEye (1995)|01-Jan-1995\n99|Nope (2022)|x\n');
    fs.writeFileSync(path.join(dir, 'other.item'), '7|Unrelated|x\n');
    for (const kind of ['native', 'wasm']) {
        const t = ok(kind, ['train', '--data', 'ml.data', '--format', 'movielens', '--titles', 'u.item', '--model', 'markov', '--out', `t-${kind}.safetensors`]);
        assert.match(t.stderr, /u\.item: 2 of the 3 items have a title\n/);
        const none = ok(kind, ['train', '--data', 'ml.data', '--titles', 'other.item', '--model', 'pop']);
        assert.match(none.stderr, /other\.item: 0 of the 3 items have a title: none of its ids is an item of the data/);
        const rec = JSON.parse(ok(kind, ['recommend', '--model', `t-${kind}.safetensors`, '--history', '10', '--k', '3', '--json']).stdout);
        // ratings never repeat, so auto leaves the history item 10 out
        assert.deepEqual(rec.items.map((x) => [x.item, x.title]), [['20', 'GoldenEye (1995)'], ['30', undefined]]);
        const text = ok(kind, ['recommend', '--model', `t-${kind}.safetensors`, '--history', '10', '--k', '1']).stdout;
        assert.match(text, /^ 1 {2}20 .* GoldenEye \(1995\)\n$/);
        const other = run(kind, ['eval', '--model', `t-${kind}.safetensors`, '--data', 'norepeat.data', '--json']);
        assert.equal(other.status, 0);
        assert.equal(JSON.parse(other.stdout).items_known_to_model, 3, 'items 10, 20 and 30 are in both');
        fs.writeFileSync(path.join(dir, 'strangers.data'), '1\t500\t5\t1\n1\t501\t4\t2\n1\t502\t3\t3\n');
        const strangers = run(kind, ['eval', '--model', `t-${kind}.safetensors`, '--data', 'strangers.data', '--json']);
        assert.equal(JSON.parse(strangers.stdout).items_known_to_model, 0);
        assert.match(strangers.stderr, /knows 0 of the 3 items of strangers\.data: they share no item id/);
    }
});

test('held-out events, labels and mf: native and wasm print the same report and write the same model', () => {
    // a small ratings file: two taste groups, ratings 1-5
    const lines = [];
    for (let u = 0; u < 60; u++)
        for (let i = 0; i < 12; i++)
            if ((i + u) % 5 !== 0) lines.push(`${u}\t${(u % 2) * 12 + i}\t${1 + ((u * 7 + i * 3) % 5)}\t${1000 + u * 50 + i}`);
    fs.writeFileSync(path.join(dir, 'r.data'), lines.join('\n') + '\n');
    const reports = {};
    for (const kind of ['native', 'wasm']) {
        const r = ok(kind, ['train', '--data', 'r.data', '--model', 'mf', '--set', 'loss=bce', '--set', 'epochs=5', '--label', 'rating>=4',
            '--drop', 'rating==3', '--eval', 'random', '--split', '0.7,0.1,0.2', '--json', '--out', `${kind}-mf.safetensors`]);
        reports[kind] = JSON.parse(r.stdout);
        assert.match(r.stderr, /--label rating>=4: \d+ of \d+ events positive/);
    }
    const t = reports.native.test;
    assert.equal(reports.native.protocol.split, 'random');
    assert.equal(reports.native.protocol.label, 'rating>=4');
    for (const key of ['queries', 'NDCG@10', 'labelled', 'AUC', 'GAUC', 'logloss']) assert.equal(typeof t[key], 'number', key);
    assert.ok(t.AUC > 0 && t.AUC < 1 && t.logloss > 0);
    assert.equal(t.RMSE, null); // bce predicts probabilities, not ratings
    assert.equal(reports.native.test_sampled100, undefined);
    delete reports.native.train_seconds, delete reports.wasm.train_seconds;
    delete reports.native.training.positions_per_s, delete reports.wasm.training.positions_per_s;
    assert.deepEqual(reports.wasm, reports.native);
    assert.deepEqual(read('wasm-mf.safetensors'), read('native-mf.safetensors'));
    // every new model trains to the same bits native and wasm, with side features where it reads them
    const users = 'user_id,segment\n' + Array.from({ length: 60 }, (_, u) => `${u},${u % 3}`).join('\n') + '\n';
    const items = 'item_id,genre\n' + Array.from({ length: 24 }, (_, i) => `${i},g${i % 4}|h${i % 3}`).join('\n') + '\n';
    fs.writeFileSync(path.join(dir, 'r.user'), users);
    fs.writeFileSync(path.join(dir, 'r.item'), items);
    for (const name of ['gmf', 'mlp', 'neumf', 'lr', 'fm', 'ffm', 'deepfm']) {
        const out = {};
        for (const kind of ['native', 'wasm']) {
            out[kind] = JSON.parse(ok(kind, ['train', '--data', 'r.data', '--model', name, '--set', 'epochs=3', '--users', 'r.user', '--items', 'r.item',
                '--label', 'rating>=4', '--eval', 'random', '--json', '--out', `${kind}-${name}.safetensors`]).stdout).test;
        }
        assert.deepEqual(out.wasm, out.native, name);
        assert.deepEqual(read(`wasm-${name}.safetensors`), read(`native-${name}.safetensors`), name);
    }
    // recommend by user
    const rec = JSON.parse(ok('native', ['recommend', '--model', 'native-mf.safetensors', '--user', '3', '--history', '', '--json']).stdout);
    assert.equal(rec.items.length, 10);
    // clear errors
    for (const [args, msg] of [
        [['--label', 'stars>=4', '--eval', 'random'], /unknown column "stars"/],
        [['--label', 'rating>=4', '--eval', 'loo'], /use --eval random/],
        [['--eval', 'random', '--split', '0.5,0.1'], /three fractions/],
        [['--eval', 'sometimes'], /--eval takes loo, random/],
    ]) {
        const r = run('native', ['train', '--data', 'r.data', '--model', 'pop', ...args]);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, msg);
    }
});

test('eval buckets a numeric column by the model\'s edges, not the new file\'s own quantiles', () => {
    // the label is price > 50; trained on prices 1..100, evaluated on 26..125: by that file's own
    // deciles price 51 would be its q2, which the model learned as cheap (AUC 0.83 before the fix)
    for (const lo of [1, 26]) {
        const rows = ['user,item,label,timestamp,price'];
        for (let e = 0; e < 600; e++) {
            const p = lo + (e * 37) % 100;
            rows.push(`u${Math.floor(e / 10)},i${e % 10},${p > 50 ? 1 : 0},${e},${p}`);
        }
        fs.writeFileSync(path.join(dir, `priced-${lo}.csv`), rows.join('\n') + '\n');
    }
    const split = ['--label', 'label==1', '--eval', 'random', '--split', '0.7,0.1,0.2', '--json'];
    ok('native', ['train', '--data', 'priced-1.csv', '--model', 'lr', '--set', 'ids=0', '--set', 'lr=0.1', '--set', 'epochs=100', '--set', 'patience=0',
        '--out', 'priced.safetensors', ...split]);
    const out = {};
    for (const kind of ['native', 'wasm']) out[kind] = JSON.parse(ok(kind, ['eval', '--model', 'priced.safetensors', '--data', 'priced-26.csv', ...split]).stdout).test;
    assert.deepEqual(out.wasm, out.native);
    assert.ok(out.native.AUC > 0.99 && out.native.logloss < 0.1, `AUC ${out.native.AUC}, logloss ${out.native.logloss}`);
    const r = run('native', ['eval', '--model', 'priced.safetensors', '--data', 'priced-26.csv', '--feature-kinds', 'ctx.price=categorical', ...split]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /ctx\.price=categorical, but the lr model was trained with ctx\.price numeric/);
});

test('split and models: the protocol as CSV, identical native and wasm; what each model can do', () => {
    const lines = ['user\titem\trating\ttimestamp'];
    for (let u = 0; u < 30; u++) for (let i = 0; i < 10; i++) lines.push(`${u}\t${i + (u % 3) * 10}\t${1 + ((u + i) % 5)}\t${1000 + u * 20 + i}`);
    fs.writeFileSync(path.join(dir, 's.data'), lines.slice(1).join('\n') + '\n');
    for (const kind of ['native', 'wasm'])
        ok(kind, ['split', '--data', 's.data', '--eval', 'random', '--split', '0.6,0.2,0.2', '--label', 'rating>=4', '--seed', '5', '--out', `${kind}-split.csv`]);
    const csv = read('native-split.csv').toString('utf8').trim().split('\n');
    assert.equal(csv[0], 'user,item,rating,label,timestamp,part');
    const parts = csv.slice(1).map((l) => l.split(',').at(-1));
    assert.equal(parts.length, 300);
    assert.deepEqual([parts.filter((p) => p === 'train').length, parts.filter((p) => p === 'valid').length, parts.filter((p) => p === 'test').length], [180, 60, 60]);
    assert.deepEqual(read('wasm-split.csv'), read('native-split.csv'));
    const models = JSON.parse(ok('native', ['models', '--json']).stdout);
    assert.ok(models.find((m) => m.name === 'deepfm').uses.features);
    assert.match(ok('native', ['models']).stdout, /^markov +predicts score +uses history; can explain$/m);
});

test('compare: means with intervals, paired tests and Holm; per-user CSV; native and wasm agree', () => {
    ok('native', ['gen', '--out', 'cmp.csv', '--sessions', '600', '--items', '100', '--seed', '3']);
    const reports = {};
    for (const kind of ['native', 'wasm'])
        reports[kind] = JSON.parse(ok(kind, ['compare', '--data', 'cmp.csv', '--model', 'pop', '--model', 'markov', '--model', 'itemknn',
            '--per-user', `${kind}-pu.csv`, '--json']).stdout);
    assert.deepEqual(reports.wasm, reports.native);
    const r = reports.native;
    assert.deepEqual(r.models.map((m) => m.model), ['pop', 'markov', 'itemknn']);
    for (const m of r.models) {
        const x = m.test['NDCG@10'];
        assert.ok(x.ci95[0] <= x.mean && x.mean <= x.ci95[1], JSON.stringify(x));
    }
    assert.equal(r.pairs.length, 9); // 3 pairs x 3 metrics
    for (const p of r.pairs) {
        for (const k of ['paired_t_p', 'wilcoxon_p', 'holm_p']) assert.ok(p[k] >= 0 && p[k] <= 1, `${k} ${p[k]}`);
        assert.ok(p.holm_p >= p.paired_t_p);
    }
    const markov = r.pairs.find((p) => p.a === 'pop' && p.b === 'markov' && p.metric === 'NDCG@10');
    assert.ok(markov.diff < 0 && markov.holm_p < 0.001); // the chain is far ahead of popularity here
    const csv = read('native-pu.csv').toString('utf8').trim().split('\n');
    assert.equal(csv[0], 'user,arm,HR@10,NDCG@10,MRR@10');
    assert.equal(csv.length - 1, 3 * r.queries);
    assert.deepEqual(read('wasm-pu.csv'), read('native-pu.csv'));
    assert.notEqual(run('native', ['compare', '--data', 'cmp.csv', '--model', 'pop']).status, 0);
});

test('experiment: A/B, interleaving and A/A with peeking, the same native and wasm', () => {
    ok('native', ['gen', '--out', 'exp.csv', '--sessions', '1500', '--items', '200', '--seed', '5']);
    const r = {};
    for (const kind of ['native', 'wasm']) r[kind] = JSON.parse(ok(kind, ['experiment', '--data', 'exp.csv', '--model', 'markov', '--model', 'pop', '--json']).stdout);
    assert.deepEqual(r.wasm, r.native);
    const e = r.native;
    assert.equal(e.ab.arms.length, 2);
    assert.equal(e.ab.arms[0].users + e.ab.arms[1].users, e.users);
    for (const a of e.ab.arms) assert.ok(a.ci95[0] <= a.ctr && a.ctr <= a.ci95[1]);
    assert.ok(e.ab.arms[0].ctr > e.ab.arms[1].ctr);               // the chain is far ahead of popularity here
    assert.ok(e.ab.welch_p < 0.001 && e.ab.mannwhitney_p < 0.001);
    // Welch's p as users arrive: a point every 100 users, the last one (all users) the final p
    const pts = e.ab.p_by_users;
    assert.ok(pts.length > 0);
    pts.forEach(([users, p], i) => {
        assert.equal(users, 100 * (i + 1));
        assert.ok(p >= 0 && p <= 1, `${users}: ${p}`);
    });
    const [lastUsers, lastP] = pts.at(-1);
    assert.equal(lastUsers, Math.floor(e.users / 100) * 100);
    if (lastUsers === e.users) assert.equal(lastP, e.ab.welch_p);
    else assert.ok(Math.abs(Math.log10(lastP) - Math.log10(e.ab.welch_p)) < 2, `${lastP} ${e.ab.welch_p}`);
    assert.ok(e.interleaving.wins_a > e.interleaving.wins_b && e.interleaving.p < 0.001);
    assert.ok(e.interleaving.users_for_80_power < e.ab.users_for_80_power); // interleaving needs fewer users
    // A/A: about the nominal 5% at a fixed horizon; peeking every 100 users inflates it
    assert.ok(e.aa.fixed_horizon_rejections > 0.02 && e.aa.fixed_horizon_rejections < 0.09, JSON.stringify(e.aa));
    assert.ok(e.aa.peeking_every_100_rejections > 2 * e.aa.fixed_horizon_rejections, JSON.stringify(e.aa));
    // the always-valid test (mSPRT) checked as often stays under the nominal 5%
    assert.ok(e.aa.msprt_every_100_rejections <= 0.05, JSON.stringify(e.aa));
    const pos = JSON.parse(ok('native', ['experiment', '--data', 'exp.csv', '--model', 'markov', '--model', 'pop', '--click', 'position', '--json']).stdout);
    assert.equal(pos.click, 'position');
    assert.ok(pos.ab.arms[0].ctr < e.ab.arms[0].ctr); // examined by rank: fewer clicks
    assert.notEqual(run('native', ['experiment', '--data', 'exp.csv', '--model', 'markov']).status, 0);
    assert.match(run('native', ['experiment', '--data', 'exp.csv', '--model', 'markov', '--model', 'pop', '--click', 'always']).stderr, /--click takes next/);
});
