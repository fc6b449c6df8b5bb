// worker-client.d.ts: types of worker-client.mjs (import from 'wasmrec/worker'): the wasmrec API
// in a dedicated Web Worker (a worker_threads Worker in Node), every call a Promise.
import type {
    Bytes, CatalogueItem, DataFormat, DatasetOptions, EvaluateOptions, GenerateOptions, ModelParams, ModelName, ParamsOf, EvalReport,
    Recommendation, RecommendOptions, TrainProgress, Explanation, Attention, ItemMap, DetailedRecommendations, Protocol, ModelInfo, GeneratedStore, CompareReport, ExperimentReport, ItemVectors, TwoStage, ExcludeSeen, FeatureField,
} from './wasmrec.js';

export interface WorkerEngineOptions {
    /** Where worker.mjs is; default next to worker-client.mjs. */
    workerUrl?: string | URL;
    /** Where wasmrec.wasm is, as the worker sees it; default next to wasmrec.mjs. */
    wasmUrl?: string | URL;
    /** The engine's memory budget in MB (default 2048; see Engine.memoryMB). */
    memoryMB?: number;
    /** 'auto' (default) or a number of threads, as LoadOptions.threads. */
    threads?: 'auto' | number;
}

/** Progress of a fit in the worker: once at the start, after every chunk, and at the end. */
export interface WorkerProgress extends TrainProgress {
    /** The model's name. */
    model: string;
    /** Milliseconds since the fit started in the worker. */
    elapsedMs: number;
}

export interface WorkerFitOptions {
    /** Train on all but each user's last two events, early-stopping on the second-last. */
    leaveOneOut?: boolean;
    /** As TrainOptions: a protocol's training part, with early stopping on its validation part. */
    protocol?: Protocol;
    fractions?: [number, number, number];
    seed?: number | bigint;
    onProgress?: (p: WorkerProgress) => void;
    /** Aborting stops the fit before it starts, or at the next chunk boundary; the promise rejects with signal.reason. */
    signal?: AbortSignal;
    /** Optimisation steps per chunk (default 16). */
    chunk?: number;
    /** Sets the `epochs` hyper-parameter first (neural models). */
    epochs?: number;
}

/** Starts the worker and loads the engine in it. */
export function createWorkerEngine(options?: WorkerEngineOptions): Promise<WorkerEngine>;

export class WorkerEngine {
    readonly version: string;
    readonly threads: number;
    readonly build: 'threads' | 'single';
    /** True once terminate() was called or the worker died. */
    readonly terminated: boolean;
    modelNames(): string[];
    compare(dataset: WorkerDataset, models: WorkerModel[], options?: { protocol?: Protocol; fractions?: [number, number, number]; seed?: number | bigint; k?: number; excludeSeen?: boolean | 'auto' }):
        Promise<{ report: CompareReport; perUser: string }>;
    experiment(dataset: WorkerDataset, a: WorkerModel, b: WorkerModel, options?: { click?: 'next' | 'position'; seed?: number | bigint; k?: number; excludeSeen?: boolean | 'auto' }): Promise<ExperimentReport>;
    modelInfo(name: ModelName): ModelInfo;
    generate(options?: GenerateOptions & { features?: false }): Promise<string>;
    generate(options: GenerateOptions & { features: true }): Promise<GeneratedStore>;
    /** The demo store generated and parsed in the worker (the text never crosses threads). */
    generateDataset(options?: GenerateOptions): Promise<WorkerDataset>;
    /** A Uint8Array/ArrayBuffer spanning its whole buffer is moved to the worker (detached here). */
    dataset(input: string | Bytes, options?: Omit<DatasetOptions, 'model'> & { model?: WorkerModel }): Promise<WorkerDataset>;
    model<N extends ModelName>(name: N, params?: ParamsOf[N]): Promise<WorkerModel>;
    /** The bytes are moved to the worker (detached here) when they span their whole buffer. */
    loadModel(bytes: Bytes, options?: { source?: string }): Promise<WorkerModel>;
    /** Stops the worker at once; every object of this engine becomes unusable. */
    terminate(): void;
    dispose(): void;
    [Symbol.dispose](): void;
}

export class WorkerDataset {
    readonly users: number;
    readonly items: number;
    readonly events: number;
    readonly format: Exclude<DataFormat, 'auto'>;
    readonly skipped: number;
    readonly skipReason: string;
    /** Items that have a title (updated by loadTitles: how many ids the titles file matched). */
    readonly titled: number;
    readonly hasRatings: boolean;
    readonly labelled: boolean;
    readonly features: number;
    /** As Dataset.context: what the CSV's extra columns became. */
    readonly context: string;
    /** As Dataset.fields: every feature field as the engine encoded it. */
    readonly fields: FeatureField[];
    readonly disposed: boolean;
    catalogue(): Promise<CatalogueItem[]>;
    lengths(): Promise<Int32Array>;
    /** As Dataset.sideFeatures, from the worker. */
    sideFeatures(side: 'users' | 'items'): Promise<Map<string, Record<string, string[]>>>;
    /** Adds titles (MovieLens u.item / movies.dat); a Uint8Array input is moved to the worker. */
    loadTitles(input: string | Bytes, options?: { source?: string }): Promise<this>;
    dispose(): Promise<void>;
    [Symbol.dispose](): void;
    [Symbol.asyncDispose](): Promise<void>;
}

export class WorkerModel {
    readonly name: ModelName;
    readonly info: ModelInfo;
    /** Size of the item vocabulary (updated after fit). */
    readonly items: number;
    /** Users the model scores by (mf), else 0. */
    readonly users: number;
    readonly params: Record<string, unknown>;
    /** As Model.buckets (updated after fit). */
    readonly buckets: Record<string, number[]>;
    readonly disposed: boolean;
    fit(dataset: WorkerDataset, options?: WorkerFitOptions): Promise<WorkerProgress>;
    /** Fine-tunes this trained or loaded model (see Model.fineTune). */
    fineTune(dataset: WorkerDataset, options?: WorkerFitOptions & { lr?: number }): Promise<WorkerProgress>;
    recommend(history: string[], options?: RecommendOptions): Promise<Recommendation[]>;
    recommendDetailed(history: string[], options?: RecommendOptions): Promise<DetailedRecommendations>;
    explain(history: string[], item: string): Promise<Explanation>;
    attention(history: string[]): Promise<Attention>;
    itemMap(): Promise<ItemMap>;
    itemVectors(): Promise<ItemVectors>;
    queryVector(history: string[], options?: { user?: string; userFeatures?: Record<string, string | string[]> }): Promise<Float32Array>;
    itemVectorFor(itemFeatures: Record<string, string | string[]>): Promise<Float32Array>;
    twoStage(history: string[], options?: { user?: string; excludeSeen?: ExcludeSeen }): Promise<TwoStage>;
    /** Index of each id in the model's vocabulary, -1 when unknown. */
    itemIndexes(ids: string[]): Promise<number[]>;
    /** How many of dataset's items this model knows. */
    knownItems(dataset: WorkerDataset): Promise<number>;
    addSession(items: string[]): Promise<{ unknown: string[] }>;
    addSessions(sessions: string[][]): Promise<{ added: number; unknown: string[] }>;
    evaluate(dataset: WorkerDataset, options?: EvaluateOptions): Promise<EvalReport>;
    /** safetensors bytes, moved from the worker. */
    save(): Promise<Uint8Array>;
    dispose(): Promise<void>;
    [Symbol.dispose](): void;
    [Symbol.asyncDispose](): Promise<void>;
}
