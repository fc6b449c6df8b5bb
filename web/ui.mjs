// ui.mjs: small DOM and formatting helpers shared by the demo page's modules.

export const $ = (id) => document.getElementById(id);

/** el('button', { class: 'x', dataset: { id }, 'aria-label': '…', onclick }, child, 'text') */
export function el(tag, props = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'dataset') Object.assign(e.dataset, v);
        else if (k === 'style') for (const [p, val] of Object.entries(v)) e.style.setProperty(p, val);
        else if (k.startsWith('aria-') || k === 'role' || k === 'for' || k === 'scope') e.setAttribute(k, v);
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else e[k] = v;
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c);
    return e;
}

export const fmtInt = (n) => Math.round(n).toLocaleString('en');
export const fmtMetric = (x) => (Number.isFinite(x) ? x.toFixed(4) : '–');

export function fmtMs(ms) {
    if (!Number.isFinite(ms)) return '–';
    if (ms < 10) return `${ms.toFixed(1)} ms`;
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
    const m = Math.floor(ms / 60_000);
    return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function fmtBytes(n) {
    if (!Number.isFinite(n)) return '–';
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
    if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
    return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

export function fmtScore(s) {
    if (!Number.isFinite(s)) return String(s);
    const a = Math.abs(s);
    return a >= 1000 ? s.toFixed(0) : a >= 10 ? s.toFixed(1) : a >= 1 ? s.toFixed(2) : s.toFixed(3);
}

/** Saves bytes or text as a file through a Blob URL (no request leaves the page). */
export function download(name, data, type = 'application/octet-stream') {
    const url = URL.createObjectURL(new Blob([data], { type }));
    const a = el('a', { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Lets the browser paint before a synchronous engine call. */
export const nextFrame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));

// One colour per model family, the same in every chart, column and table.
const MODEL_COLOURS = {
    pop: '#7a8394', markov: '#1f8a70', itemknn: '#2f5fd0', gru4rec: '#d9731a',
    sasrec: '#8a3fc7', bert4rec: '#c73f6b', vsknn: '#3f9fc7', sknn: '#3f9fc7', stan: '#5c7a1f', vstan: '#5c7a1f',
    ease: '#8c5a2b', mf: '#b8860b', gmf: '#a0522d', mlp: '#6b8e23', neumf: '#008b8b', lr: '#556b2f', fm: '#d2386c',
    ffm: '#7b3fa0', deepfm: '#1f6f8b', twotower: '#c0392b', pipeline: '#2c7a4b',
};
export const modelColour = (name) => MODEL_COLOURS[name] ?? '#444b57';

export const MODEL_LABELS = {
    pop: 'Most popular', markov: 'Markov chain', itemknn: 'Item-kNN', gru4rec: 'GRU4Rec',
    sasrec: 'SASRec', bert4rec: 'BERT4Rec', sknn: 'Session-kNN', vsknn: 'V-SKNN', stan: 'STAN', vstan: 'V-STAN',
    ease: 'EASE', mf: 'MF', gmf: 'GMF', mlp: 'NCF MLP', neumf: 'NeuMF', lr: 'Logistic regression', fm: 'FM', ffm: 'FFM',
    deepfm: 'DeepFM', twotower: 'Two-tower', pipeline: 'Pipeline',
};
/** A model's name for people; a pipeline's with its two stages when its settings name them. */
export function modelLabel(name, params) {
    const label = MODEL_LABELS[name] ?? name;
    return params?.retrieve && params?.rank ? `${label}: ${modelLabel(params.retrieve)} → ${modelLabel(params.rank)}` : label;
}

// Twenty colours people tell apart (after Sasha Trubetskoy's list), the light ones darkened to
// stand out on white.
const DISTINCT = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42b4d4', '#f032e6', '#8fbf1f', '#c9a800', '#469990',
    '#9a6324', '#800000', '#808000', '#000075', '#e68ab0', '#a98bd9', '#5fcf8f', '#e0a060', '#b8a77a', '#7f7f7f'];

/** n category colours: the distinct list, then hues around the wheel for very many categories. */
export function categoryColours(n) {
    if (n <= DISTINCT.length) return DISTINCT.slice(0, n);
    return Array.from({ length: n }, (_, i) => {
        const hue = Math.round((i * 360) / n + 15) % 360;
        return `hsl(${hue} ${i % 2 ? 55 : 70}% ${i % 2 ? 38 : 50}%)`;
    });
}

/** A readable sentence for any error (the engine's WasmrecError already names file, line and field). */
export function errorText(e) {
    if (!e) return 'unknown error';
    if (e.name === 'AbortError') return 'cancelled';
    return e.message || String(e);
}
