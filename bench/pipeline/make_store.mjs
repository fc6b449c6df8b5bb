// make_store.mjs: completes a generated store so that every item of its catalogue has events, and
// draws the benchmark's queries from it.
//   node bench/pipeline/make_store.mjs EVENTS.csv ITEMS.csv QUERIES.txt N_QUERIES
// EVENTS.csv is `wasmrec gen` output (session,item,category,title,timestamp); ITEMS.csv the
// catalogue (`gen --items-out`: item,category,...). gen's popularity is Zipf-like, so a million
// items over nine million events leaves about 13% of them unseen, and a model knows only the items
// of its data: each unseen item gets one short session appended to EVENTS.csv (in place), the one
// gen's "similar product" step makes: its neighbour before it in the category, the item, its
// neighbour after it. Queries: N_QUERIES histories of 50 consecutive events of the file (real
// items in the data's order, across session boundaries), one line each ("id,id,..."), seeded.
// Prints {"events", "items", "padded_items"} on stdout.
import { createReadStream, appendFileSync, readFileSync, writeFileSync } from 'node:fs';

const [eventsPath, itemsPath, queriesPath, nq = '300'] = process.argv.slice(2);
const HIST = 50;

const index = new Map(); // item id -> its index in `ids`
const ids = [], titles = [];
let seq = new Int32Array(1 << 20), n = 0; // every event's item, in file order
let lastSession = 0, lastTs = 0;
let rest = '', header = true;
for await (const chunk of createReadStream(eventsPath, { encoding: 'utf8', highWaterMark: 1 << 22 })) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const line of lines) {
        if (header) { header = false; continue; }
        if (!line) continue;
        const f = line.split(',');
        let i = index.get(f[1]);
        if (i === undefined) index.set(f[1], (i = ids.length)), ids.push(f[1]), titles.push(f[3]);
        if (n === seq.length) { const s = new Int32Array(2 * n); s.set(seq); seq = s; }
        seq[n++] = i;
        lastSession = +f[0];
        lastTs = +f[4];
    }
}
if (rest) throw new Error(`${eventsPath}: the last line has no newline`);

// the catalogue by category, in gen's order (prefix-NNN, positions 0..k-1)
const byCat = new Map();
for (const line of readFileSync(itemsPath, 'utf8').split('\n').slice(1)) {
    if (!line) continue;
    const [id, category] = line.split(',');
    if (!byCat.has(category)) byCat.set(category, []);
    byCat.get(category).push(id);
}
let pad = '', padded = 0, session = lastSession, ts = lastTs;
for (const [category, items] of byCat) {
    const k = items.length;
    for (let p = 0; p < k; p++) {
        if (index.has(items[p])) continue;
        session++, padded++;
        for (const id of [items[(p + k - 1) % k], items[p], items[(p + 1) % k]]) {
            const i = index.get(id);
            const title = i === undefined ? `${category} ${id}` : titles[i];
            pad += `${session},${id},${category},${title},${(ts += 60)}\n`;
        }
        if (pad.length > 1 << 22) appendFileSync(eventsPath, pad), (pad = '');
    }
}
appendFileSync(eventsPath, pad);
const catalogue = [...byCat.values()].reduce((a, b) => a + b.length, 0);

let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const out = [];
for (let q = 0; q < Number(nq); q++) {
    const at = Math.floor(rand() * (n - HIST));
    out.push(Array.from(seq.subarray(at, at + HIST), (i) => ids[i]).join(','));
}
writeFileSync(queriesPath, out.join('\n') + '\n');
console.log(JSON.stringify({ events: n + 3 * padded, items: catalogue, padded_items: padded }));
