// remote.mjs: the Model and Dataset methods the worker forwards as they are, in one table. A
// method of the binding (wasmrec.mjs) listed here works through the worker too (worker-client.mjs
// defines it, worker.mjs calls it); its types go in wasmrec.d.ts and, as a Promise, in
// worker-client.d.ts. Methods that need more than forwarding (training with progress, bytes
// moved to the worker, batches) are written out in both files instead.
export const FORWARDED = {
    Model: ['recommendDetailed', 'addSession', 'explain', 'attention', 'itemMap', 'itemVectors', 'queryVector', 'itemVectorFor', 'twoStage', 'itemTitle', 'knownItems', 'evaluate', 'save'],
    Dataset: ['catalogue', 'lengths', 'sideFeatures'],
};
