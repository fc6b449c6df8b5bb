// privacy.mjs: panel 10. A live count of every request this page causes, split into this origin
// and any other: the page's own (its navigation and Resource Timing entries, from page load on),
// its workers' (web/net-worker.mjs reports theirs on a BroadcastChannel) and the offline
// worker's (web/sw.js: what it passes on to the server and its offline copy, live on the same
// channel and, for what happened before this page listened, from its log). Also what is stored
// on this device (IndexedDB through store.mjs, the offline copy in Cache Storage) and how big;
// "forget everything" behind a confirmation; and the service worker that keeps the page working
// offline.
import { createWorkerEngine } from '../wasm/worker-client.mjs';
import { state, on, emit } from './state.mjs';
import { $, el, fmtBytes, fmtInt } from './ui.mjs';

const ui = {
    other: $('net-other'), after: $('net-after'), total: $('net-total'), list: $('net-list'), badge: $('net-badge'),
    page: $('net-page'), workers: $('net-workers'), sw: $('net-sw'), where: $('net-where'),
    csp: $('csp'), offline: $('offline'), stored: $('stored'), estimate: $('storage-estimate'),
    forget: $('forget'), forgetNote: $('forget-note'), dialog: $('forget-dialog'), dialogWhat: $('forget-what'),
    confirm: $('forget-confirm'), cancelForget: $('forget-cancel'),
};

/**
 * Every request counted, by who made it: 'page' (the document, its files, and the scripts each
 * worker starts from, which the browser lists in the page's timeline), 'worker' (what a worker
 * fetches itself), 'sw' (the offline worker's own fetches). `at` is epoch ms.
 */
const net = { by: { page: 0, worker: 0, sw: 0 }, other: 0, afterReady: 0, readyAt: Infinity, entries: [] };
const swSeen = new Set(); // the offline worker's entries arrive live and from its log: once each

const plural = (n, word) => `${word}${n === 1 ? '' : 's'}`;
const total = () => net.by.page + net.by.worker + net.by.sw;
const WHO = { page: 'page', worker: 'worker', sw: 'offline worker' };
const WHY = { pass: 'passed on', precache: 'offline copy', script: 'its own script', redirect: 'redirect' };

let renderQueued = false;
function renderNet() {
    renderQueued = false;
    ui.other.textContent = fmtInt(net.other);
    ui.other.nextElementSibling.textContent = `${plural(net.other, 'request')} to other sites`;
    ui.total.textContent = fmtInt(total());
    ui.after.textContent = fmtInt(net.afterReady);
    ui.page.textContent = fmtInt(net.by.page);
    ui.workers.textContent = fmtInt(net.by.worker);
    ui.sw.textContent = fmtInt(net.by.sw);
    ui.where.textContent = net.other ? `${fmtInt(net.other)} of them to other sites` : 'every one to this page’s own server';
    ui.badge.textContent = `${fmtInt(net.other)} ${plural(net.other, 'request')} to other sites`;
    ui.badge.dataset.state = net.other ? 'bad' : 'ok';
    ui.other.parentElement.dataset.state = net.other ? 'bad' : 'ok';
}
const queueRender = () => {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(renderNet);
};

function count(who, url, at, { size = 0, why = '' } = {}) {
    const u = new URL(url, location.href);
    if (u.protocol === 'data:' || u.protocol === 'blob:') return; // inside the page: no request
    net.by[who]++;
    if (at >= net.readyAt) net.afterReady++;
    const foreign = u.origin !== location.origin;
    if (foreign) net.other++;
    net.entries.push({ who, url: u.href, why });
    ui.list.append(el('li', { class: foreign ? 'foreign' : '', dataset: { who } }, foreign ? u.href : u.pathname + u.search,
        el('span', { class: 'hint' }, ` ${WHO[who]}${why ? `, ${WHY[why] ?? why}` : ''}${size ? `, ${fmtBytes(size)}` : ''}`)));
    queueRender();
}

function swEntries(entries) {
    for (const e of entries) {
        if (swSeen.has(e.id) || e.at < performance.timeOrigin - 20) continue; // another page's, earlier
        swSeen.add(e.id);
        count('sw', e.url, e.at, { why: e.why });
    }
}

function watchNetwork() {
    performance.setResourceTimingBufferSize?.(10_000);
    const t0 = performance.timeOrigin;
    // the document itself, and each redirect on the way to it (/ to /web/)
    const nav = performance.getEntriesByType('navigation')[0];
    for (let i = 0; i < (nav?.redirectCount ?? 0); i++) count('page', '/', t0, { why: 'redirect' });
    count('page', location.href, t0, { size: nav?.transferSize ?? 0 });
    // buffered: every entry since the page started loading, then each new one as it happens
    new PerformanceObserver((list) => {
        for (const e of list.getEntries()) count('page', e.name, t0 + e.startTime, { size: e.transferSize || e.encodedBodySize || 0 });
    }).observe({ type: 'resource', buffered: true });
    const channel = new BroadcastChannel('wasmrec-net');
    channel.onmessage = ({ data }) => {
        if (data?.from === 'worker') for (const e of data.entries) count('worker', e.url, e.at, { size: e.size });
        else if (data?.from === 'sw') swEntries(data.entries);
    };
    if (navigator.serviceWorker) {
        navigator.serviceWorker.addEventListener('message', ({ data }) => { if (data?.type === 'net-log') swEntries(data.entries); });
        navigator.serviceWorker.startMessages();
        // what the offline worker did for this page before this listener existed (the page's first files)
        navigator.serviceWorker.controller?.postMessage({ type: 'net-log', since: t0 - 20 });
    }
    renderNet();
}

/** A worker engine whose requests the counter sees (web/net-worker.mjs: the binding's worker, reporting). */
export function countedWorker({ threads } = {}) {
    return createWorkerEngine({ workerUrl: new URL('./net-worker.mjs', import.meta.url), threads });
}

/** From now on, requests count as "after the page was ready". */
export function markReady() {
    net.readyAt = performance.timeOrigin + performance.now();
    renderNet();
}

async function cacheSize() {
    if (!('caches' in window)) return { files: 0, bytes: 0 };
    let files = 0;
    let bytes = 0;
    for (const name of await caches.keys()) {
        const c = await caches.open(name);
        for (const req of await c.keys()) {
            files++;
            const r = await c.match(req);
            bytes += Number(r?.headers.get('content-length')) || 0;
        }
    }
    return { files, bytes };
}

let renderGen = 0; // renders overlap (clicks, forget, a timer); only the latest may write

export async function renderStored() {
    const s = state.store;
    if (!s) return;
    const gen = ++renderGen;
    const items = [];
    try {
        const models = await s.listModels();
        const events = await s.events();
        const sessions = new Set(events.map((e) => e.session)).size;
        items.push(el('li', {}, el('strong', {}, `${fmtInt(events.length)} clicks`), ` in ${fmtInt(sessions)} session${sessions === 1 ? '' : 's'} (IndexedDB, the playground’s log)`));
        for (const m of models) {
            items.push(el('li', {}, el('strong', {}, m.meta?.label ?? m.name), ` model, ${fmtBytes(m.size)}, trained ${new Date(m.savedAt).toLocaleString()} (IndexedDB)`));
        }
        if (!models.length) items.push(el('li', { class: 'hint' }, 'No trained model saved yet (models you train here are kept for your next visit).'));
        if (!s.persistent) items.push(el('li', { class: 'error-text' }, `Kept in memory only: ${s.error?.message ?? 'IndexedDB is not available'}`));
    } catch (e) {
        items.push(el('li', { class: 'error-text' }, e.message));
    }
    const cache = await cacheSize();
    if (gen !== renderGen) return;
    items.push(el('li', {}, el('strong', {}, `Offline copy: ${fmtInt(cache.files)} files`), cache.files ? `, ${fmtBytes(cache.bytes)} (Cache Storage: the page, the engine, the demo models)` : ''));
    ui.stored.replaceChildren(...items);
    if (navigator.storage?.estimate) {
        const { usage = 0, quota = 0 } = await navigator.storage.estimate();
        ui.estimate.textContent = `The browser counts ${fmtBytes(usage)} used by this site, of ${fmtBytes(quota)} it allows ` +
            '(it updates this figure with some delay).';
        ui.estimate.dataset.usage = String(usage);
    }
}

/** The confirmation: says what would go; Cancel, Escape or a click outside keep everything. */
async function askForget() {
    ui.forgetNote.textContent = '';
    let what = 'the click log, the saved models and the offline copy';
    try {
        const [events, models, cache] = await Promise.all([state.store.events(), state.store.listModels(), cacheSize()]);
        what = `${fmtInt(events.length)} ${plural(events.length, 'click')} in the playground’s log, ${fmtInt(models.length)} saved ` +
            `${plural(models.length, 'model')} and the offline copy (${fmtInt(cache.files)} ${plural(cache.files, 'file')})`;
    } catch { /* the generic sentence */ }
    ui.dialogWhat.textContent = `This deletes, on this device: ${what}. The models in this tab stay until you close it. It cannot be undone.`;
    ui.dialog.returnValue = '';
    ui.dialog.showModal();
    ui.cancelForget.focus();
}

function onDialogClose() {
    if (ui.dialog.returnValue === 'forget') forget();
    else ui.forgetNote.textContent = 'Nothing was deleted.';
    ui.forget.focus();
}

async function forget() {
    ui.forget.disabled = true;
    try {
        await state.store.forget();
        // every service worker, also one still installing (its precache would refill the cache)
        const regs = (await navigator.serviceWorker?.getRegistrations()) ?? [];
        for (const r of regs) for (const w of [r.installing, r.waiting, r.active]) w?.postMessage('forget');
        for (const r of regs) await r.unregister();
        if ('caches' in window) for (const k of await caches.keys()) await caches.delete(k);
        try { localStorage.clear(); sessionStorage.clear(); } catch { /* not available */ }
        state.session = [];
        emit('session');
        emit('forgotten');
        await renderStored(); // before "Done", so the list never shows what was just deleted
        ui.forgetNote.textContent = 'Done: the click log, the saved models and the offline copy are deleted. The models in this tab stay until you close it.';
        ui.offline.textContent = 'Offline copy: deleted (the next visit makes a new one).';
        delete ui.offline.dataset.state;
    } catch (e) {
        ui.forgetNote.textContent = `Could not delete everything: ${e.message}`;
        await renderStored();
    } finally {
        ui.forget.disabled = false;
    }
}

async function registerOffline() {
    if (!('serviceWorker' in navigator)) { ui.offline.textContent = 'Offline copy: not available in this browser.'; return; }
    try {
        // Scope '/': the training workers (/wasm/worker.mjs) load the engine through it too.
        await navigator.serviceWorker.register('/web/sw.js', { scope: '/' });
        await navigator.serviceWorker.ready;
        ui.offline.textContent = 'Offline copy: ready. Once loaded, this page works without a network.';
        ui.offline.dataset.state = 'ready';
        setTimeout(renderStored, 1500);
    } catch (e) {
        ui.offline.textContent = `Offline copy: not installed (${e.message}).`;
    }
}

export function initPrivacy() {
    watchNetwork();
    const meta = document.querySelector('meta[http-equiv="Content-Security-Policy"]');
    ui.csp.textContent = meta ? meta.content.split(/;\s*/).join(';\n') : 'none';
    if (window.wasmrecDemo) window.wasmrecDemo.net = net; // for the tests: the counts and each entry
    ui.forget.addEventListener('click', askForget);
    ui.confirm.addEventListener('click', () => ui.dialog.close('forget'));
    ui.cancelForget.addEventListener('click', () => ui.dialog.close('cancel'));
    ui.dialog.addEventListener('close', onDialogClose);
    // a click on the backdrop (outside the box) is a cancel
    ui.dialog.addEventListener('click', (e) => { if (e.target === ui.dialog) ui.dialog.close('cancel'); });
    on('stored', renderStored);
    on('trained', () => setTimeout(renderStored, 200));
    return { registerOffline };
}
