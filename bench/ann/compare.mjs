// compare.mjs: runs the four sides of bench/ann side by side and prints the one JSON object.
//   node bench/ann/compare.mjs OUT_DIR DATA_NOTE EF_LIST -- BASE QUERIES N NQ DIM METRIC M EFC
// Each side (ours native: ann_bench serve; ours wasm: ann_bench.mjs; hnswlib: hnswlib_ref.py;
// hnswlib-wasm: hnswlib_wasm.mjs) builds its index one after the other (so builds do not compete),
// then stays up while this script asks them for query passes in turn: for each ef_search, one
// warm-up pass each, then REPS rounds of one timed pass each, the order rotating. A side's figure
// is its fastest pass in CPU time: the machine is shared, and interleaving puts every side's
// passes in the same minutes, so a burst of someone else's load hits them all alike.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';

const REPS = 5;
const argv = process.argv.slice(2);
const [out, dataNote, efList] = argv;
const args = argv.slice(argv.indexOf('--') + 1);
const truth = `${out}/truth.i32`;
const efs = efList.split(',').map(Number);

function start(name, cmd, cmdArgs) {
    const p = spawn(cmd, cmdArgs, { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = [], waiting = [];
    createInterface({ input: p.stdout }).on('line', (l) => (waiting.length ? waiting.shift()(l) : lines.push(l)));
    p.on('exit', (code) => { if (code) { console.error(`bench/ann: ${name} exited with ${code}`); process.exit(1); } });
    const next = () => new Promise((res) => (lines.length ? res(lines.shift()) : waiting.push(res))).then((l) => JSON.parse(l));
    return { name, ask: (cmd) => { p.stdin.write(cmd + '\n'); return next(); }, next, quit: () => p.stdin.end('quit\n') };
}

const sides = [];
for (const [name, cmd, pre] of [
    ['native', `${out}/ann_bench`, ['serve']],
    ['wasm', process.execPath, ['bench/ann/ann_bench.mjs']],
    ['hnswlib', '/usr/bin/python3', ['bench/ann/hnswlib_ref.py']],
    ['hnswlib_wasm', process.execPath, ['bench/ann/hnswlib_wasm.mjs']],
]) {
    console.error(`bench/ann: building ${name}`);
    const s = start(name, cmd, [...pre, ...args, truth]);
    s.info = await s.next();
    console.error(`bench/ann: ${name} built in ${s.info.build_s} s`);
    sides.push(s);
}
const [nat, wasm, hl, hw] = sides;
const topPath = (s) => `${out}/top.${s.name}`;
for (const s of [nat, wasm]) rmSync(topPath(s), { force: true });

// the exact scan, one query per call (the first 100 queries): 3 rounds
const exact = { native: Infinity, wasm: Infinity };
let exactSame = 0;
for (let r = 0; r < 3; r++)
    for (const s of r % 2 ? [wasm, nat] : [nat, wasm]) {
        const p = await s.ask('exact');
        exact[s.name] = Math.min(exact[s.name], p.cpu_s / p.queries);
        if (s === wasm) exactSame = p.same_as_truth;
    }
console.error(`bench/ann: exact scan ${(1 / exact.native).toFixed(1)} queries/s native, ${(1 / exact.wasm).toFixed(1)} wasm`);

const sweeps = Object.fromEntries(sides.map((s) => [s.name, []]));
for (const ef of efs) {
    const best = new Map(sides.map((s) => [s, { cpu: Infinity, wall: Infinity, recall: 0 }]));
    for (let r = 0; r <= REPS; r++) {
        const order = sides.map((_, i) => sides[(i + r) % sides.length]);
        for (const s of order) {
            const top = r === 1 && (s === nat || s === wasm) ? topPath(s) : '-';
            const p = await s.ask(`pass ${ef} ${top}`);
            const b = best.get(s);
            b.recall = p['recall@10'];
            if (r > 0) { b.cpu = Math.min(b.cpu, p.cpu_s); b.wall = Math.min(b.wall, p.wall_s); } // r = 0: warm-up
        }
    }
    for (const s of sides) {
        const b = best.get(s), nq = nat.info.queries;
        sweeps[s.name].push({ ef, 'recall@10': b.recall, qps: +(nq / b.cpu).toFixed(1), qps_wall: +(nq / b.wall).toFixed(1) });
    }
    console.error(`bench/ann: ef ${ef}: ` + sides.map((s) => `${s.name} ${sweeps[s.name].at(-1)['recall@10']} / ${sweeps[s.name].at(-1).qps.toFixed(0)} q/s`).join(', '));
}
for (const s of sides) s.quit();

const tops = [nat, wasm].map((s) => readFileSync(topPath(s), 'utf8').split('\n'));
const sameTop = tops[0].filter((l, i) => l && l === tops[1][i]).length;
// the smallest ef reaching recall@10 >= 0.95 (else the best recall of the sweep)
const pick = (sweep) => sweep.find((p) => p['recall@10'] >= 0.95) ?? sweep.reduce((a, b) => (b['recall@10'] > a['recall@10'] ? b : a));
const pn = pick(sweeps.native), pw = sweeps.wasm.find((p) => p.ef === pn.ef), ph = pick(sweeps.hnswlib), phw = pick(sweeps.hnswlib_wasm);
const r2 = (x) => +x.toFixed(2);
const i = nat.info;
const result = {
    bench: 'ann', items: i.items, dim: i.dim, queries: i.queries, metric: i.metric, M: i.M, ef_construction: i.ef_construction,
    data: dataNote, threads: 1, timing: `queries/s by CPU time, the fastest of ${REPS} passes per side, sides interleaved (qps_wall in the sweeps)`,
    exact: { wasm_qps: +(1 / exact.wasm).toFixed(1), native_qps: +(1 / exact.native).toFixed(1), native_batched_qps: i.exact_batched_qps,
             queries_timed: 100, wasm_same_ids_as_native: `${exactSame}/100` },
    hnsw: { 'recall@10': pn['recall@10'], ef_search: pn.ef, wasm_qps: pw.qps, native_qps: pn.qps, build_s_wasm: wasm.info.build_s,
            build_s_native: i.build_s, wasm_memory_mb: wasm.info.wasm_memory_mb, index_mb: wasm.info.index_mb,
            native_rss_build_mb: i.rss_build_mb, same_top10_native_wasm: `${sameTop}/${i.queries * efs.length}` },
    hnswlib: { 'recall@10': ph['recall@10'], ef_search: ph.ef, qps: ph.qps, build_s: hl.info.build_s, rss_build_mb: hl.info.rss_build_mb,
               version: hl.info.version },
    hnswlib_wasm: { 'recall@10': phw['recall@10'], ef_search: phw.ef, qps: phw.qps, build_s: hw.info.build_s,
                    wasm_memory_mb: hw.info.wasm_memory_mb, version: hw.info.build, node20: hw.info.node20 },
};
const t = {
    recall_at_least_0_95: [pn, ph, phw].every((p) => p['recall@10'] >= 0.95),
    wasm_hnsw_over_exact_wasm: r2(pw.qps * exact.wasm),
    wasm_hnsw_over_hnswlib_wasm: r2(pw.qps / phw.qps),
    native_hnsw_over_hnswlib: r2(pn.qps / ph.qps),
};
t.met = t.recall_at_least_0_95 && t.wasm_hnsw_over_exact_wasm >= 5 && t.wasm_hnsw_over_hnswlib_wasm >= 1 && t.native_hnsw_over_hnswlib >= 0.8;
result.targets = { wanted: 'recall@10 >= 0.95; wasm HNSW >= 5x exact wasm and >= hnswlib-wasm; native >= 0.8x hnswlib', ...t };
result.sweeps = sweeps;
console.log(JSON.stringify(result));
