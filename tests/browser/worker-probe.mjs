// worker-probe.mjs: loaded by page.test.mjs as a module Worker, to show that the binding runs in a
// worker too: it trains a small model there and posts the recommendations back.
import { loadEngine } from '../../wasm/wasmrec.mjs';

self.onmessage = async () => {
    try {
        const engine = await loadEngine();
        const data = engine.dataset(engine.generate({ sessions: 300, items: 60, seed: 5 }));
        const model = engine.model('markov').fit(data);
        const recs = model.recommend([data.itemId(0), data.itemId(1)], { k: 5 });
        engine.dispose();
        postMessage({ ok: true, recs });
    } catch (e) {
        postMessage({ ok: false, err: String(e && e.message) });
    }
};
