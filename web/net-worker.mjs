// net-worker.mjs: the page's worker for training and for reading files. It is the binding's
// worker host (wasm/worker.mjs, imported as is) plus one thing: it reports every request this
// worker makes (its Resource Timing entries: the engine's .wasm) to the page's request counter
// on a BroadcastChannel. The page's own timeline already holds the scripts a worker starts from.
import '../wasm/worker.mjs';

const channel = new BroadcastChannel('wasmrec-net');
let sent = 0;

function flush() {
    const all = performance.getEntriesByType('resource');
    if (all.length <= sent) return;
    channel.postMessage({
        from: 'worker',
        entries: all.slice(sent).map((e) => ({ url: e.name, at: performance.timeOrigin + e.startTime, size: e.transferSize || e.encodedBodySize || 0 })),
    });
    sent = all.length;
}

new PerformanceObserver(flush).observe({ type: 'resource', buffered: true });
// Before each answer to the page, so a worker terminated right after it has reported everything.
const post = self.postMessage.bind(self);
self.postMessage = (msg, transfer) => { flush(); post(msg, transfer); };
