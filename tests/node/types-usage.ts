// types-usage.ts: typed use of the public API, checked by `tsc --noEmit` in api.test.mjs (never
// run). It imports through the package's own exports map, so the map's "types" entries are
// checked too. Lines marked @ts-expect-error must stay errors.
import { loadEngine, WasmrecError, type FeatureKind, type FeatureField, type Model, type Recommendation, type TrainProgress } from 'wasmrec';
import { createWorkerEngine, type WorkerProgress } from 'wasmrec/worker';
import { openStore, StoreError, DB_VERSION } from 'wasmrec/store';
import { createRecommender, type FineTuneReport } from 'wasmrec/personal';

export async function inThread(): Promise<Recommendation[]> {
    const engine = await loadEngine({ wasmUrl: new URL('../../wasm/wasmrec.wasm', import.meta.url) });
    const threaded = await loadEngine({ threads: 'auto' });
    const where: string = `${threaded.threads} threads, ${threaded.build === 'threads' ? 'threaded' : 'single-thread'} module`;
    console.log(where, (await loadEngine({ threads: 2 })).threads);
    const data = engine.dataset(engine.generate({ sessions: 100, items: 50, seed: 1n }), { format: 'csv', skipBad: false });
    const g = engine.generate({ features: true });
    const kind: FeatureKind = 'categorical';
    const side = engine.dataset(g.events, { users: g.users, items: g.items, featureKinds: { 'user.device': kind, 'item.price': 'multi' }, timeContext: ['hour'] });
    const f: FeatureField = side.fields[0];
    const top: [string, number] | undefined = f.counts[0];
    console.log(f.field, f.side === 'context', f.cuts?.[0], f.range?.[1], top);
    const devices: string[] | undefined = side.sideFeatures('users').get('s1')?.['user.device'];
    console.log(devices);
    // @ts-expect-error: the sides are 'users' and 'items'
    side.sideFeatures('sessions');
    side.dispose();
    const model = engine.model('itemknn', { neighbors: 50, seed: 3 }).set('lambda', 10);
    model.fit(data);
    const ac = new AbortController();
    const last: TrainProgress = await model.train(data, { leaveOneOut: true, signal: ac.signal, onProgress: (p) => p.loss, chunk: 8 });
    const done: boolean = last.done;
    const tuned: TrainProgress = await model.fineTune(data, { lr: 0.0001, epochs: 2 });
    const skippedEvents: number = tuned.unknownEvents;
    const seen: boolean = model.recommendDetailed(['a'], { excludeSeen: 'auto' }).excludeSeen.applied;
    // @ts-expect-error: excludeSeen is 'auto' or a boolean
    model.recommend(['a'], { excludeSeen: 'yes' });
    void skippedEvents; void seen;
    // @ts-expect-error: no such model
    engine.model('lstm');
    // @ts-expect-error: itemknn's parameter is neighbors
    engine.model('itemknn', { neighbours: 5 });
    // @ts-expect-error: sasrec's losses are ce, bce, gbce, sampled
    engine.model('sasrec', { loss: 'mse' });
    const ev = model.evaluate(data, { excludeSeen: 'auto' });
    const ndcg: number = ev.full['NDCG@10'];
    const ci: [number, number] = ev.full.ci95['NDCG@10'];
    const why: string = ev.exclude_seen.reason;
    const title: string = model.recommend(['a'])[0]?.title ?? '';
    void ndcg; void ci; void why; void title;
    const recs = model.recommend(['a', 'b'], { k: 10, excludeSeen: true });
    const detail = model.recommendDetailed(['a']);
    const unknown: string[] = detail.unknown;
    const again = engine.loadModel(model.save(), { source: 'copy' });
    const report = again.evaluate(data, { split: 'valid', k: 20, sampled: 0 });
    const later = engine.dataset('user,item\na,x\n', { model: again });
    const ageEdges: number[] | undefined = again.buckets['user.age'];
    void ageEdges;
    // @ts-expect-error: model is a Model
    engine.dataset('user,item\na,x\n', { model: 'copy' });
    later.dispose();
    // @ts-expect-error: k is a number
    model.recommend(['a'], { k: '10' });
    // @ts-expect-error: unknown option
    model.recommend(['a'], { topK: 10 });
    // @ts-expect-error: history is string[]
    model.recommend('a');
    try { model.fit(data); } catch (e) { if (e instanceof WasmrecError) { const s: string = e.status; const c: number = e.code; void s; void c; } }
    { using m2 = engine.model('pop'); m2.fit(data); }
    void done; void unknown; void report;
    again.dispose(); data.dispose(); engine[Symbol.dispose]();
    return recs;
}

export async function inWorker(): Promise<void> {
    const engine = await createWorkerEngine({ wasmUrl: '/wasm/wasmrec.wasm', threads: 2 });
    const n: number = engine.threads;
    console.log(n, engine.build);
    const data = await engine.dataset(await engine.generate({ sessions: 100 }));
    const kinds: string[] = data.fields.map((x) => x.kind);
    const items: Map<string, Record<string, string[]>> = await data.sideFeatures('items');
    console.log(kinds, items.size);
    const model = await engine.model('gru4rec', { dim: 16 });
    const ac = new AbortController();
    const last: WorkerProgress = await model.fit(data, { signal: ac.signal, epochs: 2, onProgress: (p) => console.log(p.epoch, p.elapsedMs) });
    const recs: Recommendation[] = await model.recommend(['x'], { k: 5 });
    const bytes: Uint8Array = await model.save();
    const m2 = await engine.loadModel(bytes);
    const idx: number[] = await m2.itemIndexes(['x']);
    const d3 = await engine.dataset('user,item\na,x\n', { model: m2 });
    const edges: Record<string, number[]> = m2.buckets;
    void edges;
    // @ts-expect-error: the worker's dataset takes a WorkerModel
    await engine.dataset('user,item\na,x\n', { model: {} as Model });
    void d3;
    await using d2 = await engine.dataset(new Uint8Array(10));
    // @ts-expect-error: fit needs a WorkerDataset
    await model.fit('data');
    void last; void recs; void idx; void d2;
    await model.dispose();
    engine.terminate();
}

export async function stored(): Promise<void> {
    const store = await openStore({ name: 'x' });
    const v: 2 = DB_VERSION;
    if (!store.persistent) console.log(store.error?.message);
    await store.addEvent({ session: 's', item: 'i' });
    const sessions = await store.sessions();
    const first: string | undefined = sessions[0]?.items[0];
    await store.saveModel('m', new Uint8Array(4), { note: 'x' });
    const m = await store.loadModel('m');
    if (m) { const b: Uint8Array = m.bytes; void b; }
    try { await store.forget(); } catch (e) { if (e instanceof StoreError) console.log(e.cause); }
    // @ts-expect-error: an event needs an item
    await store.addEvent({ session: 's' });
    void v; void first;
}

export async function personal(): Promise<FineTuneReport> {
    const rec = await createRecommender({ model: '/models/demo-vsknn.safetensors', k: 5 });
    const { known } = await rec.observe('tv-009');
    const { items, unknown } = await rec.recommend({ k: 3 });
    const r = await rec.fineTune({ minEvents: 10, signal: AbortSignal.timeout(1000) });
    const a: 'addSession' | 'fineTune' | 'refit' | 'skipped' = r.action;
    await rec.forget();
    await rec.dispose();
    void known; void items; void unknown; void a;
    return r;
}

// held-out events, labels and mf (checked by tsc only)
export async function heldOut(engine: import('../../wasm/wasmrec.js').Engine): Promise<number> {
    const d = engine.dataset('user,item,rating\na,x,4\na,y,2\n', { label: 'rating>=4', drop: 'rating==3' });
    const m = engine.model('mf', { loss: 'bce', n_neg: 4 });
    await m.train(d, { protocol: 'random', fractions: [0.8, 0.1, 0.1], seed: 1 });
    m.evaluate(d, { protocol: 'random' });
    m.recommend([], { user: 'a' });
    return m.users + (d.labelled ? 1 : 0);
}
