// datatext.mjs: what the page reads from the data's own text, beside the engine's parse (the
// binding gives counts, not the rows): each user's events in time order (the "pick a user"
// playground's histories), the values of the rating or label column (the data view's label share
// and rating distribution); the side tables' fields and each id's features come from the engine
// (Dataset.fields, Dataset.sideFeatures). The rules are the engine's loaders' (src/data/load.c,
// parse_csv.c, parse_text.c, parse_otto.c): the same column names. No DOM here.

const USER_COLS = ['user', 'user_id', 'userid', 'session', 'session_id', 'sessionid', 'visitor', 'visitorid'];
const ITEM_COLS = ['item', 'item_id', 'itemid', 'aid', 'movie_id', 'movieid', 'product_id', 'productid'];
const TS_COLS = ['timestamp', 'ts', 'time', 'unix_time'];
const TITLE_COLS = ['title', 'name', 'item_name'];
const CAT_COLS = ['category', 'genre', 'genres', 'cat'];
const RATING_COLS = ['rating', 'label', 'score', 'click', 'clicked'];

const trim = (s) => s.trim(); // the engine trims blanks; JS also trims other Unicode spaces (ids rarely hold them)
const isBlank = (s) => /^[ \t\r\n\v\f]*$/.test(s);
const lower = (s) => trim(s).toLowerCase();

/** Lets the page paint between chunks of a long scan (a 24 MB file is read in slices of ~10 ms). */
function yielder() {
    let t = performance.now();
    return async () => {
        if (performance.now() - t < 10) return;
        await new Promise((r) => setTimeout(r, 0));
        t = performance.now();
    };
}

/** The header's delimiter as the engine picks it: tabs, then semicolons, then commas (outside quotes). */
function csvDelim(line) {
    let tabs = 0; let commas = 0; let semis = 0; let inq = false;
    for (const ch of line) {
        if (ch === '"') inq = !inq;
        else if (!inq && ch === '\t') tabs++;
        else if (!inq && ch === ',') commas++;
        else if (!inq && ch === ';') semis++;
    }
    if (tabs && tabs >= commas && tabs >= semis) return '\t';
    return semis > commas ? ';' : ',';
}

/**
 * CSV records (double quotes, "" for a quote, newlines inside quotes): an iterator of
 * { fields, line } from position `from` of text. Unquoted fields come back as written
 * (the caller trims what the engine trims).
 */
function* csvRecords(text, delim, from = 0) {
    let p = from;
    const end = text.length;
    let line = 0;
    let quote = -1; // the next quote at or after p (-1: none left)
    while (p < end) {
        const nl = text.indexOf('\n', p);
        const stop = nl < 0 ? end : nl;
        line++;
        if (quote !== -1 && quote < p) quote = text.indexOf('"', p);
        else if (quote === -1 && line === 1) quote = text.indexOf('"', p);
        if (quote === -1 || quote > stop) { // no quote on this line: the fast path
            const s = text.charCodeAt(stop - 1) === 13 ? text.slice(p, stop - 1) : text.slice(p, stop);
            p = stop + 1;
            if (!isBlank(s)) yield { fields: s.split(delim), line };
            continue;
        }
        const fields = [];
        let field = '';
        let quoted = false;
        let i = p;
        let atStart = true;
        for (; i < end; i++) {
            const ch = text[i];
            if (quoted) {
                if (ch === '"') {
                    if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
                } else {
                    field += ch;
                }
            } else if (atStart && ch === '"') {
                quoted = true; atStart = false; field = '';
            } else if (ch === delim) {
                fields.push(field); field = ''; atStart = true;
            } else if (ch === '\n') {
                break;
            } else {
                if (atStart && ch === ' ' && delim !== ' ') continue;
                field += ch; atStart = false;
            }
        }
        fields.push(field.endsWith('\r') ? field.slice(0, -1) : field);
        p = i + 1;
        if (!(fields.length === 1 && isBlank(fields[0]))) yield { fields, line };
    }
}

/** A "<column><op><number>" condition (--label, --drop) as a test on the rating value; null if malformed. */
export function parseCondition(cond) {
    const m = /^\s*([^<>=!\s]+)\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*$/i.exec(cond ?? '');
    if (!m) return null;
    const v = Number(m[3]);
    const ops = { '>=': (x) => x >= v, '>': (x) => x > v, '<=': (x) => x <= v, '<': (x) => x < v, '==': (x) => x === v, '!=': (x) => x !== v };
    return { column: m[1], op: m[2], value: v, test: ops[m[2]] };
}

/**
 * Every event of the data, in file order, as onEvent(user, item, ts, rating) (rating NaN when the
 * data has none), for the formats the engine reads. Returns { ratingName } (the rating or label
 * column's name, null without one). Lines the engine would refuse are passed over.
 */
export async function scanEvents(text, format, onEvent) {
    const tick = yielder();
    let n = 0;
    if (format === 'csv') {
        let start = 0;
        while (start < text.length) { // the header is the first non-blank line
            const nl = text.indexOf('\n', start);
            const line = text.slice(start, nl < 0 ? text.length : nl);
            if (!isBlank(line)) break;
            start = nl < 0 ? text.length : nl + 1;
        }
        const headerEnd = text.indexOf('\n', start);
        const delim = csvDelim(text.slice(start, headerEnd < 0 ? text.length : headerEnd));
        const rows = csvRecords(text, delim, start);
        const head = rows.next().value?.fields.map(lower) ?? [];
        const col = { user: -1, item: -1, ts: -1, title: -1, cat: -1, rating: -1 };
        head.forEach((h, i) => { // each header name takes the first role it fits, as the engine's
            if (col.user < 0 && USER_COLS.includes(h)) col.user = i;
            else if (col.item < 0 && ITEM_COLS.includes(h)) col.item = i;
            else if (col.ts < 0 && TS_COLS.includes(h)) col.ts = i;
            else if (col.title < 0 && TITLE_COLS.includes(h)) col.title = i;
            else if (col.cat < 0 && CAT_COLS.includes(h)) col.cat = i;
            else if (col.rating < 0 && RATING_COLS.includes(h)) col.rating = i;
        });
        if (col.user < 0 || col.item < 0) return { ratingName: null };
        for (const { fields: f } of rows) {
            if (++n % 4096 === 0) await tick();
            const u = trim(f[col.user] ?? ''); const it = trim(f[col.item] ?? '');
            if (!u || !it) continue;
            const ts = col.ts >= 0 ? Number(trim(f[col.ts] ?? '')) : 0;
            const r = col.rating >= 0 ? Number(trim(f[col.rating] ?? '')) : NaN;
            onEvent(u, it, Number.isFinite(ts) ? ts : 0, r);
        }
        return { ratingName: col.rating >= 0 ? trim(head[col.rating]) : null };
    }
    let dat = -1;
    let first = true;
    let p = 0;
    while (p < text.length) {
        const nl = text.indexOf('\n', p);
        const line = text.slice(p, nl < 0 ? text.length : nl);
        p = nl < 0 ? text.length : nl + 1;
        if (++n % 4096 === 0) await tick();
        if (isBlank(line)) continue;
        if (format === 'movielens') {
            if (dat < 0) dat = line.includes('::') ? 1 : 0;
            const f = line.split(dat ? '::' : '\t').map(trim);
            if (f.length !== 4 || !f[0] || !f[1]) continue;
            onEvent(f[0], f[1], Number(f[3]) || 0, Number(f[2]));
        } else if (format === 'seq') {
            const f = line.split(/[ \t\v\f\r]+/).filter(Boolean);
            if (f.length !== 2) continue;
            if (first && USER_COLS.includes(f[0].toLowerCase()) && ITEM_COLS.includes(f[1].toLowerCase())) { first = false; continue; }
            first = false;
            onEvent(f[0], f[1], 0, NaN);
        } else if (format === 'otto') {
            let o;
            try { o = JSON.parse(line); } catch { continue; }
            if (o?.session === undefined || !Array.isArray(o.events)) continue;
            for (const e of o.events) if (e?.aid !== undefined) onEvent(String(o.session), String(e.aid), Number(e.ts) || 0, NaN);
        }
    }
    return { ratingName: format === 'movielens' ? 'rating' : null };
}

/** The data view's pass: how many events carry each rating value (a Map), and the rating column's name. */
export async function summarize(text, format) {
    const ratings = new Map();
    const { ratingName } = await scanEvents(text, format, (_u, _i, _t, r) => {
        if (!Number.isNaN(r)) ratings.set(r, (ratings.get(r) ?? 0) + 1);
    });
    return { ratings: ratingName ? ratings : null, ratingName };
}

/**
 * Each user's events ({ item, ts, rating }), ordered by timestamp (stable on ties, as the engine),
 * without the events `drop` removes. A Map in first-seen order of users.
 */
export async function histories(text, format, { drop } = {}) {
    const gone = drop ? parseCondition(drop) : null;
    const by = new Map();
    await scanEvents(text, format, (u, item, ts, rating) => {
        if (gone && !Number.isNaN(rating) && gone.test(rating)) return;
        let list = by.get(u);
        if (!list) by.set(u, list = []);
        list.push({ item, ts, rating });
    });
    for (const list of by.values()) {
        if (list.some((e, i) => i && e.ts < list[i - 1].ts)) list.sort((a, b) => a.ts - b.ts); // Array sort is stable
    }
    return by;
}
