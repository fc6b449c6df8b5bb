// sw.js: keeps the demo page working offline. Network first (so an edited file shows at once),
// the cached copy when the network fails. Only same-origin GETs are touched: the page makes no
// other requests, and this worker makes none of its own beyond the page's own files.
const CACHE = 'wasmrec-demo-v1';
const FILES = [
    '/web/', '/web/style.css', '/web/app.mjs', '/web/ui.mjs', '/web/state.mjs', '/web/charts.mjs', '/web/data.mjs',
    '/web/train.mjs', '/web/play.mjs', '/web/inside.mjs', '/web/models.mjs', '/web/privacy.mjs',
    '/wasm/wasmrec.mjs', '/wasm/wasmrec.wasm', '/wasm/check.mjs', '/wasm/store.mjs', '/wasm/worker-client.mjs', '/wasm/worker.mjs',
    '/node_modules/uplot/dist/uPlot.esm.js', '/node_modules/uplot/dist/uPlot.min.css',
    '/models/demo-models.json', '/models/demo-itemknn.safetensors', '/models/demo-gru4rec.safetensors', '/models/demo-sasrec.safetensors',
    '/models/gru4rec.demo.json', '/models/gru4rec.json', '/models/sasrec.demo.json', '/models/sasrec.json',
    '/models/sasrec.bce.json', '/models/sasrec.gbce.json', '/models/bert4rec.demo.json', '/models/bert4rec.json',
];

async function precache() {
    const cache = await caches.open(CACHE);
    // One by one, so a missing optional file does not stop the rest.
    await Promise.all(FILES.map((f) => cache.add(f).catch(() => {})));
    if (!keep) await caches.delete(CACHE); // "forget everything" came while this was installing
}

self.addEventListener('install', (e) => {
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
self.addEventListener('message', (e) => { if (e.data === 'forget') keep = false; });

self.addEventListener('fetch', (e) => {
    const url = new URL(e.request.url);
    if (e.request.method !== 'GET' || url.origin !== self.location.origin) return;
    e.respondWith((async () => {
        try {
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
