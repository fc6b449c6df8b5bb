// privacy.mjs: panel 6. A live count of the page's network requests (PerformanceObserver on
// 'resource' entries, from page load on), split into this origin and any other; what is stored
// on this device (IndexedDB through store.mjs, the offline copy in Cache Storage) and how big;
// "forget everything"; and the service worker that keeps the page working offline.
import { state, on, emit } from './state.mjs';
import { $, el, fmtBytes, fmtInt } from './ui.mjs';

const ui = {
    other: $('net-other'), after: $('net-after'), total: $('net-total'), list: $('net-list'), badge: $('net-badge'),
    csp: $('csp'), offline: $('offline'), stored: $('stored'), estimate: $('storage-estimate'),
    forget: $('forget'), forgetNote: $('forget-note'),
};

const net = { total: 0, other: 0, afterReady: 0, ready: false, entries: [] };

const plural = (n, word) => `${word}${n === 1 ? '' : 's'}`;

function renderNet() {
    ui.other.textContent = fmtInt(net.other);
    ui.other.nextElementSibling.textContent = `${plural(net.other, 'request')} to other sites`;
    ui.after.nextSibling.textContent = ` ${plural(net.afterReady, 'request')} since the page was ready, `;
    ui.after.textContent = fmtInt(net.afterReady);
    ui.total.textContent = fmtInt(net.total);
    ui.badge.textContent = `${fmtInt(net.other)} ${plural(net.other, 'request')} to other sites`;
    ui.badge.dataset.state = net.other ? 'bad' : 'ok';
    ui.other.parentElement.dataset.state = net.other ? 'bad' : 'ok';
}

function watchNetwork() {
    const origin = location.origin;
    const seen = (entry) => {
        const u = new URL(entry.name, location.href);
        if (u.protocol === 'data:' || u.protocol === 'blob:') return;
        net.total++;
        if (net.ready) net.afterReady++;
        const foreign = u.origin !== origin;
        if (foreign) net.other++;
        net.entries.push(entry.name);
        ui.list.append(el('li', { class: foreign ? 'foreign' : '' }, foreign ? u.href : u.pathname + u.search,
            el('span', { class: 'hint' }, ` ${fmtBytes(entry.transferSize || entry.encodedBodySize || 0)}`)));
    };
    // buffered: every entry since the page started loading, then each new one as it happens
    new PerformanceObserver((list) => { list.getEntries().forEach(seen); renderNet(); }).observe({ type: 'resource', buffered: true });
    renderNet();
}

/** From now on, requests count as "after the page was ready". */
export function markReady() {
    net.ready = true;
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
    ui.forget.addEventListener('click', forget);
    on('stored', renderStored);
    on('trained', () => setTimeout(renderStored, 200));
    return { registerOffline };
}
