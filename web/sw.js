// sw.js: keeps the demo page working offline. Network first (so an edited file shows at once),
// the cached copy when the network fails. Only same-origin GETs are touched: the page makes no
// other requests, and this worker makes none of its own beyond the page's own files.
// Every request it makes (passing one on, the offline copy, its own script) goes to the page's
// request counter: live on the 'wasmrec-net' BroadcastChannel, and from a log kept in memory for
// a page that asks ({ type: 'net-log', since }) what happened before it could listen.
// A cached copy keeps the server's headers, COOP/COEP among them, so the page offline is still
// cross-origin isolated and loads the threaded module (wasmrec-mt.wasm and its helper workers).
const CACHE = 'wasmrec-demo-v6';
const FILES = [
    '/web/', '/web/style.css', '/web/app.mjs', '/web/ui.mjs', '/web/state.mjs', '/web/charts.mjs', '/web/data.mjs', '/web/datatext.mjs',
    '/web/train.mjs', '/web/experiment.mjs', '/web/play.mjs', '/web/users.mjs', '/web/visitor.mjs', '/web/newitem.mjs', '/web/stages.mjs', '/web/ann.mjs', '/web/inside.mjs', '/web/models.mjs', '/web/privacy.mjs', '/web/net-worker.mjs',
    '/wasm/wasmrec.mjs', '/wasm/wasmrec.wasm', '/wasm/check.mjs', '/wasm/remote.mjs', '/wasm/store.mjs', '/wasm/worker-client.mjs', '/wasm/worker.mjs',
    '/wasm/wasmrec-mt.wasm', '/wasm/threads.mjs', '/wasm/thread-worker.mjs',
    '/node_modules/uplot/dist/uPlot.esm.js', '/node_modules/uplot/dist/uPlot.min.css',
    '/models/demo-models.json', '/models/demo-itemknn.safetensors', '/models/demo-gru4rec.safetensors', '/models/demo-sasrec.safetensors',
    '/models/gru4rec.demo.json', '/models/gru4rec.json', '/models/sasrec.demo.json', '/models/sasrec.json',
    '/models/sasrec.bce.json', '/models/sasrec.gbce.json', '/models/bert4rec.demo.json', '/models/bert4rec.json',
];

const channel = new BroadcastChannel('wasmrec-net');
const instance = Math.random().toString(36).slice(2, 10);
let seq = 0;
const log = []; // { id, at, url, why }: 'pass' (a request passed on), 'precache', 'script'

/** Counts one request this worker makes (when it starts, so a failed one counts too). */
function note(url, why) {
    const entry = { id: `${instance}-${seq++}`, at: Date.now(), url: new URL(url, self.location.href).href, why };
    log.push(entry);
    if (log.length > 5000) log.splice(0, log.length - 5000);
    channel.postMessage({ from: 'sw', entries: [entry] });
}

async function precache() {
    const cache = await caches.open(CACHE);
    // One by one, so a missing optional file does not stop the rest.
    await Promise.all(FILES.map((f) => { note(f, 'precache'); return cache.add(f).catch(() => {}); }));
    if (!keep) await caches.delete(CACHE); // "forget everything" came while this was installing
}

self.addEventListener('install', (e) => {
    note(self.location.href, 'script'); // the browser fetched this script to install it
    e.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
    e.waitUntil((async () => {
        for (const k of await caches.keys()) if (k !== CACHE) await caches.delete(k);
        await self.clients.claim();
    })());
});

// After "forget everything" the page unregisters this worker; until the tab closes it must not
// fill the emptied cache again.
let keep = true;
self.addEventListener('message', (e) => {
    if (e.data === 'forget') keep = false;
    else if (e.data?.type === 'net-log') e.source?.postMessage({ type: 'net-log', entries: log.filter((x) => x.at >= e.data.since) });
});

self.addEventListener('fetch', (e) => {
    const url = new URL(e.request.url);
    if (e.request.method !== 'GET' || url.origin !== self.location.origin) return;
    e.respondWith((async () => {
        try {
            note(e.request.url, 'pass');
            const fresh = await fetch(e.request);
            if (keep && fresh.ok && fresh.status === 200) {
                const copy = fresh.clone();
                caches.open(CACHE).then((c) => c.put(e.request, copy)).catch(() => {});
            }
            return fresh;
        } catch (err) {
            const cached = await caches.match(e.request, { ignoreSearch: true });
            if (cached) return cached;
            throw err;
        }
    })());
});
