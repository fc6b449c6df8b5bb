// Turns a generated store (CSV) into "user item" lines, folding `per` sessions into one user so
// the sequences are long like MovieLens-100k's (943 users, ~106 events each).
//   node bench/train/to_seq.mjs store.csv out.seq USERS
import { readFileSync, writeFileSync } from 'node:fs';

const [csv, out, users] = process.argv.slice(2);
const lines = readFileSync(csv, 'utf8').split('\n').slice(1).filter(Boolean);
const ids = new Map();
const text = lines.map((l) => {
    const [session, item] = l.split(',');
    if (!ids.has(session)) ids.set(session, ids.size);
    return `u${ids.get(session) % Number(users)} ${item}`;
});
// stable by user, keeping each user's events in file order
const byUser = new Map();
for (const t of text) {
    const u = t.slice(0, t.indexOf(' '));
    if (!byUser.has(u)) byUser.set(u, []);
    byUser.get(u).push(t);
}
writeFileSync(out, [...byUser.values()].flat().join('\n') + '\n');
