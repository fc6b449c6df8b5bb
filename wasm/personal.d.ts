// personal.d.ts: types of personal.mjs (import from 'wasmrec/personal'): on-device personalisation.
import type { DetailedRecommendations, ExcludeSeen, Recommendation } from './wasmrec.js';
import type { WorkerEngine, WorkerModel, WorkerProgress } from './worker-client.js';
import type { Store, StoreError } from './store.js';

export interface RecommenderOptions {
    /** The pretrained model: URL of a .safetensors file, or its bytes. Required. */
    model: string | URL | Uint8Array | ArrayBuffer;
    /** Default: a new WorkerEngine (terminated by dispose()). */
    engine?: WorkerEngine;
    /** Default: openStore({ name: storeName }). */
    store?: Store;
    storeName?: string;
    /** A click this long after the previous one starts a new session. Default 30 minutes. */
    sessionGapMs?: number;
    /** Default number of recommendations. Default 10. */
    k?: number;
}

export interface FineTuneOptions {
    signal?: AbortSignal;
    /** Progress of a fine-tune (neural models) or a refit (pop, markov, itemknn). */
    onProgress?: (p: WorkerProgress) => void;
    /** Fewest new local events: default 10 for neural models, 50 for a refit. */
    minEvents?: number;
    /** Fewest local sessions for a refit. Default 5. */
    minSessions?: number;
}

export interface FineTuneReport {
    /** addSession: finished sessions added to a session-kNN model; fineTune: a neural model trained on
     * from its weights; refit: retrained on the local history; skipped: nothing changed. */
    action: 'addSession' | 'fineTune' | 'refit' | 'skipped';
    model: string;
    sessions: number;
    events: number;
    /** Item ids the model did not know (left out). */
    unknown: string[];
    /** True when the fine-tuned model was written to IndexedDB. */
    saved: boolean;
    /** What was done, in a sentence. */
    message: string;
}

export function createRecommender(options: RecommenderOptions): Promise<Recommender>;

export class Recommender {
    readonly engine: WorkerEngine;
    readonly store: Store;
    readonly model: WorkerModel;
    readonly modelName: string;
    /** 'pretrained' until a fine-tuned model is made or loaded from the store. */
    readonly modelSource: 'pretrained' | 'personal';
    readonly session: { id: string; items: string[]; lastTs: number };
    /** True while clicks and models are kept in IndexedDB. */
    readonly persistent: boolean;
    /** The last storage failure, or null; the recommender keeps working in memory. */
    readonly storageError: StoreError | Error | null;
    /** Records a click; known is false when the model does not know the id (still recorded). */
    observe(itemId: string, options?: { ts?: number }): Promise<{ session: string; known: boolean }>;
    endSession(): void;
    recommend(options?: { k?: number; excludeSeen?: ExcludeSeen }): Promise<DetailedRecommendations>;
    fineTune(options?: FineTuneOptions): Promise<FineTuneReport>;
    /** Deletes everything stored and goes back to the pretrained model with an empty session. */
    forget(): Promise<void>;
    dispose(): Promise<void>;
    [Symbol.asyncDispose](): Promise<void>;
}
