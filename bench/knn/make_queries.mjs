// Draws benchmark queries from a generated store: session prefixes of 1..20 events, one line
// each ("id,id,..."), with a fixed seed so native and wasm answer the same queries.
import { readFileSync, writeFileSync } from 'node:fs';

const [csvPath, outPath, n = '2000'] = process.argv.slice(2);
const sessions = new Map();
const lines = readFileSync(csvPath, 'utf8').split('\n');
for (const line of lines.slice(1)) {
    if (!line) continue;
    const [session, item] = line.split(',');
    if (!sessions.has(session)) sessions.set(session, []);
    sessions.get(session).push(item);
}
const all = [...sessions.values()];
let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const out = [];
for (let q = 0; q < Number(n); q++) {
    const s = all[Math.floor(rand() * all.length)];
    const len = 1 + Math.floor(rand() * Math.min(20, s.length));
    out.push(s.slice(0, len).join(','));
}
writeFileSync(outPath, out.join('\n') + '\n');
