// wasmrec.d.ts: types of the JS binding (wasmrec.mjs). Ids are strings; objects wrap C handles
// and must be disposed (or the Engine disposed, which frees everything it made).
// Every options object is checked: an unknown key throws RangeError naming it (a typo such as
// `excludeseen` is never silently ignored). Bad values throw TypeError / RangeError naming the
// argument; failures inside the engine throw WasmrecError with the engine's message.

/** The wr_status codes (negative) of src/wasmrec.h. */
export type WasmrecStatus =
    | 'WR_ERR_ARG' | 'WR_ERR_NOMEM' | 'WR_ERR_PARSE' | 'WR_ERR_FORMAT'
    | 'WR_ERR_STATE' | 'WR_ERR_NAN' | 'WR_ERR_IO' | 'WR_ERR_UNKNOWN';

/** A nonzero status from the engine; message is wr_last_error (it names source, line, field). */
export class WasmrecError extends Error {
    readonly name: 'WasmrecError';
    /** The wr_status value: -1 arg, -2 nomem, -3 parse, -4 format, -5 state, -6 nan, -7 io. */
    readonly code: number;
    readonly status: WasmrecStatus;
    constructor(code: number, message: string);
}

export type DataFormat = 'auto' | 'csv' | 'movielens' | 'seq' | 'otto';
export type Bytes = Uint8Array | ArrayBuffer | ArrayBufferView;

/** Host hooks of the command line (instantiate). Throwing in readFile/writeFile reports the message to C. */
export interface Host {
    print(fd: 1 | 2 | number, bytes: Uint8Array): void;
    readFile(path: string): Uint8Array;
    /** Must be atomic: write path + ".tmp", then rename. */
    writeFile(path: string, bytes: Uint8Array): void;
    nowMs(): number;
}

export interface LoadOptions {
    /** Where wasmrec.wasm is; default: next to wasmrec.mjs (new URL('./wasmrec.wasm', import.meta.url)). */
    wasmUrl?: string | URL;
    /** The module itself; skips fetching. */
    wasmBytes?: Bytes | WebAssembly.Module;
    /** Host hooks; default pageHost() (no file access, print to the console). */
    host?: Host;
    /** The memory budget in MB (default 2048); see Engine.memoryMB. */
    memoryMB?: number;
    /** 'auto' (default: every core, at most 8) or a number of threads. More than one loads
     * wasmrec-mt.wasm where memory can be shared (Node; a cross-origin isolated page), else the
     * single-thread module; Engine.threads and Engine.build say which. Results are the same bits. */
    threads?: 'auto' | number;
}

/** Loads the module (checks WebAssembly SIMD first) and creates an Engine with one wr_ctx. */
export function loadEngine(options?: LoadOptions): Promise<Engine>;
/** True when WebAssembly SIMD128 is available. */
export function simdSupported(): boolean;
/** The host of a page or worker: no file access ("no file access in a page"), console output. */
export function pageHost(): Host;

/** Low level: the instance with raw exports (wr_*, malloc, free, memory) and heap helpers. */
export interface Runtime {
    readonly instance: WebAssembly.Instance;
    readonly exports: WebAssembly.Exports & Record<string, any>;
    readonly memory: WebAssembly.Memory;
    /** Fresh views: never keep them across calls (memory growth detaches them). */
    u8(): Uint8Array;
    view(): DataView;
    malloc(n: number): number;
    free(ptr: number): void;
    allocBytes(bytes: Uint8Array): number;
    allocString(s: string): number;
    string(ptr: number): string;
    bytes(ptr: number, n: number): Uint8Array;
    u32(ptr: number): number;
    i32(ptr: number): number;
    setU32(ptr: number, value: number): void;
    /** Runs fn; the blocks it allocates through the scope are freed when it ends. */
    scoped<T>(fn: (scope: {
        bytes(b: Uint8Array): number; string(s: string): number;
        optString(s?: string | null): number; zeros(n: number): number;
    }) => T): T;
}
export function instantiate(options?: LoadOptions): Promise<Runtime>;

export interface DatasetOptions {
    format?: DataFormat;
    /** The name used in error messages (a file name). Default 'data'. */
    source?: string;
    /** Skip and count bad lines instead of failing on the first. Default false. */
    skipBad?: boolean;
    /** A binary label from the rating column, like 'rating>=4' (>=, >, <=, <, ==, !=). */
    label?: string;
    /** Leave out the events for which this holds, like 'rating==3' (applied before label). */
    drop?: string;
    /** Side tables: user features (MovieLens u.user / users.dat, or CSV with a user id column) and
     * item features (u.item / movies.dat, or CSV with an item id column); README "Input formats". */
    users?: string | Bytes;
    items?: string | Bytes;
    /** Override the detected kind of side-table columns, like { 'user.age': 'categorical',
     * 'item.year': 'numeric' } (numeric: 10 quantile buckets; multi: '|'-separated values). */
    featureKinds?: Record<string, FeatureKind>;
    /** Context columns from each event's timestamp (Unix seconds or milliseconds, UTC): 'hour' (0-23), 'weekday' (Mon..Sun). */
    timeContext?: ('hour' | 'weekday')[];
    /** A trained model this data is for (evaluate, fineTune): numeric features are bucketed by the
     * model's edges (its training data's quantiles), not this data's, so that 'user.age=q3' means
     * what it meant in training. */
    model?: Model;
}
export type FeatureKind = 'categorical' | 'multi' | 'numeric';
/** The evaluation protocols (README "Evaluation"). */
/** A feature field of Dataset.fields. */
export interface FeatureField {
    /** 'user.age', 'item.genre', 'ctx.device'. */
    field: string;
    side: 'users' | 'items' | 'context';
    /** numeric: bucketed into 10 quantile buckets, the values 'q0'..'q9'. */
    kind: 'categorical' | 'multi' | 'numeric';
    /** Distinct values. */
    values: number;
    /** Users or items with a value of this field (context: events). */
    rows: number;
    /** [value, users/items/events with it]: most frequent first (numeric: the buckets in order). */
    counts: [string, number][];
    /** numeric: the 9 bucket edges (a value below cuts[0] is q0, ...) and the smallest and largest value; else null. */
    cuts: number[] | null;
    range: [number, number] | null;
}

export type Protocol = 'loo' | 'random' | 'temporal' | 'cold-users' | 'cold-items';

export interface GenerateOptions { sessions?: number; items?: number; seed?: number | bigint; features?: boolean }
/** generate({ features: true }): the store with purchase labels, and its side tables. */
export interface GeneratedStore { events: string; users: string; items: string }

/** title: the item's title from the model's training data ('' when it had none). */
export interface Recommendation { item: string; score: number; title: string }

export interface RecommendOptions {
    /** A positive integer; default 10. Fewer come back when the catalogue is smaller. */
    k?: number;
    /** Leave the history's items out: true, false, or 'auto' (the default): leave them out when
     * under 1% of the model's training events repeated an item already in that user's history. */
    excludeSeen?: ExcludeSeen;
    /** A user id the model knows (models with users: mf); unknown ids are scored by the history. */
    user?: string;
    /** A visitor the model does not know, by side-feature values (twotower, pipeline): field -> value
     * (or values), fields as in the users table; a numeric field by its bucket ('q3'). */
    userFeatures?: Record<string, string | string[]>;
    /** The moment's context, for models that read it (lr, fm, ffm, deepfm, a pipeline's ranking
     * stage): column -> value of the data's context columns ({ device: 'mobile' }; numeric by bucket). */
    context?: Record<string, string | string[]>;
}
export type ExcludeSeen = 'auto' | boolean;
/** What an excludeSeen mode was resolved to, and why (a sentence). */
export interface SeenPolicy { mode: 'auto' | 'yes' | 'no'; applied: boolean; reason: string }
export interface DetailedRecommendations { items: Recommendation[]; unknown: string[]; excludeSeen: SeenPolicy }

export interface TrainProgress {
    epoch: number; epochs: number; step: number; loss: number; positionsPerSecond: number;
    validNdcg: number; bestEpoch: number; done: boolean;
    /** Fine-tuning: events left out because the model does not know their item. */
    unknownEvents: number;
    /** Training events held out to stop early when the protocol's split has no validation part (10%). */
    heldOut: number;
}
export interface FineTuneOptions extends TrainOptions {
    /** Learning rate; default (without leaveOneOut) a third of the model's. */
    lr?: number;
}
export interface TrainOptions {
    /** Train on all but each user's last two events, early-stopping on the second-last. Default false. */
    leaveOneOut?: boolean;
    /** Train on a protocol's training part and stop early on its validation part (leaveOneOut: true is 'loo'). */
    protocol?: Protocol;
    /** [train, valid, test] for the held-out-event protocols; default [0.8, 0.1, 0.1]. */
    fractions?: [number, number, number];
    /** Seeds the split; default 42 (evaluate with the same seed to measure on the same split). */
    seed?: number | bigint;
    onProgress?: (p: TrainProgress) => void;
    signal?: AbortSignal;
    /** Optimisation steps between progress reports. Default 16. */
    chunk?: number;
    /** Sets the model's `epochs` hyper-parameter first (neural models; others throw WasmrecError). */
    epochs?: number;
}

export interface EvaluateOptions {
    split?: 'test' | 'valid' | 'validation';
    /** Default 'loo'; the others report AUC, GAUC, logloss, RMSE and MAE where they apply. */
    protocol?: Protocol;
    fractions?: [number, number, number];
    k?: number;
    /** As in RecommendOptions; default 'auto'. The report's exclude_seen says what was applied. */
    excludeSeen?: ExcludeSeen;
    /** Negatives for the sampled protocol; 0 = full ranking only. Default 100. */
    sampled?: number;
    seed?: number | bigint;
}

/** What a model family needs and can do (Engine.modelInfo, Model.info): decide on this, not on names. */
export interface ModelInfo {
    name: ModelName;
    uses: { history: boolean; users: boolean; labels: boolean; features: boolean };
    /** Trains in steps (epochs, progress, early stopping). */
    iterative: boolean;
    /** What a score means under the defaults: a ranking score, the logit of P(label), or a rating. */
    predicts: 'score' | 'probability' | 'rating';
    can: { fine_tune: boolean; add_session: boolean; explain: boolean; attention: boolean; item_map: boolean };
    params: { name: string; type: 'int' | 'float' | 'enum'; default: number; min: number; max: number; choices?: string; help: string }[];
}
export interface CompareReport {
    eval: string; queries: number;
    models: { model: string; arm: number; test: Record<string, { mean: number; ci95: [number, number] }> }[];
    pairs: { a: string; b: string; metric: string; diff: number; ci95: [number, number]; paired_t_p: number | null; wilcoxon_p: number | null; holm_p: number | null }[];
}
export interface ExperimentReport {
    users: number; click: 'next' | 'position'; k: number; seed: number;
    ab: { arms: { model: string; users: number; clicks: number; ctr: number; ci95: [number, number] }[]; welch_p: number | null; mannwhitney_p: number | null; users_for_80_power: number | null;
        /** Welch's p after every 100 users in arrival order: [users, p] pairs. */
        p_by_users: [number, number | null][] };
    interleaving: { wins_a: number; wins_b: number; ties: number; p: number; users_for_80_power: number | null };
    aa: { runs: number; fixed_horizon_rejections: number; peeking_every_100_rejections: number };
}
/** The models (README "Models" has what each does and its defaults). */
export type ModelName = 'pop' | 'markov' | 'itemknn' | 'sknn' | 'vsknn' | 'stan' | 'vstan' | 'gru4rec' | 'sasrec' | 'bert4rec' | 'ease' | 'mf' | 'gmf' | 'mlp' | 'neumf' | 'lr' | 'fm' | 'ffm' | 'deepfm' | 'twotower' | 'pipeline';
/** `seed` goes to wr_model_new (default 42); every other value is checked by the engine. */
interface SeedParam { seed?: number | bigint }
export interface ItemKnnParams extends SeedParam { neighbors?: number; lambda?: number }
export interface SknnParams extends SeedParam { k?: number; sample_size?: number }
export interface VsknnParams extends SknnParams { idf?: 0 | 1 }
export interface StanParams extends SknnParams { lambda_spw?: number; lambda_snh?: number; lambda_inh?: number }
export interface VstanParams extends StanParams { lambda_ipw?: number; lambda_idf?: number }
export interface Gru4recParams extends SeedParam {
    dim?: number; batch?: number; lr?: number; epochs?: number; patience?: number; n_sample?: number;
    sample_alpha?: number; tied?: 0 | 1; loss?: 'ce' | 'bpr-max'; bpreg?: number; clip?: number;
    dropout_embed?: number; dropout_hidden?: number; init?: number;
    /** Learn one score offset for items already in the history (1, the default; 0 = the paper's). */
    repeat_bias?: 0 | 1;
}
export interface SasrecParams extends SeedParam {
    dim?: number; blocks?: number; heads?: number; max_len?: number; dropout?: number; lr?: number;
    weight_decay?: number; clip?: number; decay_embeddings?: 0 | 1; batch?: number; epochs?: number;
    patience?: number; loss?: 'ce' | 'bce' | 'gbce' | 'sampled'; negatives?: number; gbce_t?: number;
    sample_alpha?: number;
    /** Learn one score offset for items already in the history (1, the default; 0 = the paper's). */
    repeat_bias?: 0 | 1;
}
export interface Bert4recParams extends SasrecParams { mask_prob?: number; last_prob?: number; unscaled_embeddings?: 0 | 1 }
export interface LrParams extends SeedParam {
    lr?: number; reg?: number; batch?: number; epochs?: number; patience?: number; loss?: 'bce' | 'mse'; n_neg?: number; ids?: 0 | 1;
}
export interface FmParams extends LrParams { dim?: number; init?: number }
export interface FfmParams extends FmParams { memory_mb?: number }
export interface DeepfmParams extends FmParams { hidden?: number; layers?: number }
export interface GmfParams extends SeedParam {
    dim?: number; lr?: number; reg?: number; batch?: number; epochs?: number; patience?: number; n_neg?: number; init?: number;
}
export interface NcfParams extends GmfParams { layers?: number }
export interface MfParams extends SeedParam {
    dim?: number; lr?: number; reg?: number; batch?: number; epochs?: number; patience?: number;
    loss?: 'bpr' | 'bce' | 'mse'; n_neg?: number; neg_alpha?: number; init?: number;
}
export interface EaseParams extends SeedParam { lambda?: number; memory_mb?: number }
export interface TwotowerParams extends SeedParam {
    dim?: number; hidden?: number; layers?: number; lr?: number; reg?: number; batch?: number; epochs?: number; patience?: number;
    temperature?: number; learn_temperature?: 0 | 1; logq?: 0 | 1; n_uniform?: number; history?: number; user_id?: 0 | 1;
    item_id?: 0 | 1; init?: number; cold_dropout?: number;
}
/** The two stages' families; each stage's own settings go as 'retrieve.dim', 'rank.epochs', ... */
export interface PipelineParams extends SeedParam {
    retrieve?: ModelName; rank?: ModelName; candidates?: number; rerank?: 0 | 1; combine?: 'auto' | 'rank';
    index?: 'hnsw' | 'exact'; M?: number; ef_construction?: number; ef_search?: number;
    [stageSetting: `retrieve.${string}` | `rank.${string}`]: unknown;
}
/** Each model's hyper-parameters by name. */
export interface ParamsOf {
    pop: SeedParam; markov: SeedParam; itemknn: ItemKnnParams; sknn: SknnParams; vsknn: VsknnParams;
    stan: StanParams; vstan: VstanParams; gru4rec: Gru4recParams; sasrec: SasrecParams; bert4rec: Bert4recParams;
    ease: EaseParams; mf: MfParams; lr: LrParams; fm: FmParams; ffm: FfmParams; deepfm: DeepfmParams;
    gmf: GmfParams; mlp: NcfParams; neumf: NcfParams; twotower: TwotowerParams; pipeline: PipelineParams;
}
/** Any model's hyper-parameters (what Model.params holds). */
export type ModelParams = ParamsOf[ModelName];

/** Ranking metrics over the evaluated users (one target each), with 95% intervals. */
export interface RankingMetrics {
    users: number;
    [metric: `HR@${number}`]: number;
    [metric: `NDCG@${number}`]: number;
    [metric: `MRR@${number}`]: number;
    /** Normal-approximation 95% interval of each mean over users: [low, high]. */
    ci95: Record<string, [number, number]>;
}
export interface FullRankingMetrics extends RankingMetrics {
    [metric: `Recall@${number}`]: number;
    [metric: `coverage@${number}`]: number;
}
/** What an evaluation did with the history items, and why. */
export interface SeenReport { mode: 'auto' | 'yes' | 'no'; applied: boolean; repeat_share: number | null; reason: string }
/** Model.evaluate's report: full ranking, and the sampled protocol under `sampled<N>` (when sampled > 0). */
export interface EvalReport {
    exclude_seen: SeenReport;
    full: FullRankingMetrics;
    [sampled: `sampled${number}`]: RankingMetrics;
}

export interface CatalogueItem { index: number; id: string; title: string; category: string }

export class Engine {
    readonly version: string;
    /** The threads its kernels run on (1 with the single-thread module). */
    readonly threads: number;
    /** The module loaded: 'threads' (wasmrec-mt.wasm) or 'single' (wasmrec.wasm). */
    readonly build: 'threads' | 'single';
    readonly disposed: boolean;
    readonly runtime: Runtime;
    /** The memory budget in MB (default 2048): settings or model files whose buffers would need
     * more are refused, naming the settings, before anything large is allocated. */
    memoryMB: number;
    modelNames(): string[];
    /** What a model needs and can do. */
    modelInfo(name: ModelName): ModelInfo;
    /** 2-8 models trained on the same protocol: intervals, paired tests, Holm (README "Evaluation"). */
    compare(dataset: Dataset, models: Model[], options?: { protocol?: Protocol; fractions?: [number, number, number]; seed?: number | bigint; k?: number; excludeSeen?: ExcludeSeen }):
        { report: CompareReport; perUser: string };
    /** A simulated A/B test, interleaving and A/A with peeking (models trained with leaveOneOut). */
    experiment(dataset: Dataset, a: Model, b: Model, options?: { click?: 'next' | 'position'; seed?: number | bigint; k?: number; excludeSeen?: ExcludeSeen }): ExperimentReport;
    /** Parses interaction data (text is UTF-8 encoded). */
    dataset(input: string | Bytes, options?: DatasetOptions): Dataset;
    /** The demo store as CSV text (session,item,category,title,timestamp). Defaults 5000 / 1000 / 42. */
    generate(options?: GenerateOptions & { features?: false }): string;
    generate(options: GenerateOptions & { features: true }): GeneratedStore;
    /** An untrained model; an unknown name throws RangeError before calling C. */
    model<N extends ModelName>(name: N, params?: ParamsOf[N]): Model;
    /** A model from safetensors bytes (Model.save or the CLI's --out). */
    loadModel(bytes: Bytes, options?: { source?: string }): Model;
    /** A nearest-neighbour index (HNSW; exact scan with efSearch 0). Defaults: 'ip', M 16, efConstruction 200, seed 42. */
    index(options: IndexOptions): Index;
    /** An index from the bytes of Index.save(). */
    loadIndex(bytes: Bytes, options?: { source?: string }): Index;
    /** Frees every Dataset and Model of this engine, then the context. Idempotent. */
    dispose(): void;
    [Symbol.dispose](): void;
}

export interface IndexOptions {
    dim: number;
    metric?: 'ip' | 'cosine';
    /** Neighbours per vector on the upper levels (2M on the bottom one), 2..1024. */
    M?: number;
    efConstruction?: number;
    seed?: number | bigint;
    /** Vectors to make room for at once (default 0: grow as they come). */
    capacity?: number;
}

/** The k nearest of one query, best first: ids in the order the vectors were added. */
export interface IndexHits { ids: Int32Array; scores: Float32Array }

/** A nearest-neighbour index over vectors (Engine.index). */
export class Index {
    readonly dim: number;
    readonly count: number;
    readonly memoryBytes: number;
    readonly disposed: boolean;
    /** Adds n x dim floats; ids continue from count. */
    add(vectors: Float32Array): this;
    /** One query (dim floats) gives its hits; m x dim floats give an array of m. efSearch 0 = exact scan (default 64). */
    search(query: Float32Array, options?: { k?: number; efSearch?: number }): IndexHits | IndexHits[];
    save(): Uint8Array;
    /** The same as dispose(). */
    free(): void;
    dispose(): void;
    [Symbol.dispose](): void;
}

export class Dataset {
    readonly users: number;
    readonly items: number;
    readonly events: number;
    readonly format: Exclude<DataFormat, 'auto'>;
    readonly skipped: number;
    /** Reason of the first skipped line, '' if none. */
    readonly skipReason: string;
    /** Whether the data has a rating or label column; whether `label` made binary labels. */
    readonly hasRatings: boolean;
    readonly labelled: boolean;
    /** Distinct feature values: the side tables' and the context's (0 without). */
    readonly features: number;
    /** What a CSV's extra columns became, the events' context: 'context: device (categorical); left out: ...', or ''. */
    readonly context: string;
    /** Every feature field as the engine encoded it: side tables' and the context's ([] without). */
    readonly fields: FeatureField[];
    /** Each user's or item's features as the engine encoded them: id -> { field: values }
     * ("user.age" -> ["q3"], the values of `fields`' counts), for the ids with any feature. */
    sideFeatures(side: 'users' | 'items'): Map<string, Record<string, string[]>>;
    readonly disposed: boolean;
    itemId(index: number): string;
    /** '' when the data has no titles. */
    itemTitle(index: number): string;
    /** '' when the data has no categories. */
    itemCategory(index: number): string;
    /** Dense index of an item id, or -1. */
    itemIndex(id: string): number;
    catalogue(): CatalogueItem[];
    /** Events per user (session), in user order: the length distribution. */
    lengths(): Int32Array;
    /** Adds titles (MovieLens u.item / movies.dat). */
    loadTitles(input: string | Bytes, options?: { source?: string }): this;
    /** Items that have a title: after loadTitles, how many ids the titles file matched. */
    readonly titled: number;
    dispose(): void;
    [Symbol.dispose](): void;
}

export class Model {
    readonly name: ModelName;
    readonly info: ModelInfo;
    /** Hyper-parameters as parsed JSON. */
    readonly params: Record<string, unknown>;
    /** The bucket edges of its numeric side and context fields ({} without): value 'qk' of
     * 'user.age' means buckets['user.age'][k - 1] <= age < buckets['user.age'][k]. */
    readonly buckets: Record<string, number[]>;
    /** Size of the item vocabulary (0 before fit). */
    readonly items: number;
    /** Users the model scores by (mf); 0 for the models that score by the history alone. */
    readonly users: number;
    readonly disposed: boolean;
    itemId(index: number): string;
    itemIndex(id: string): number;
    /** Sets one hyper-parameter; the engine checks name and value (WasmrecError lists the valid names). */
    set(name: string, value: string | number | boolean | bigint): this;
    /** Trains on every event, in one synchronous call (train() is the stepwise, cancellable one). */
    fit(dataset: Dataset): this;
    /** Trains on all but the last two events of each user (leave-one-out training part). */
    fitLeaveOneOut(dataset: Dataset): this;
    /** Top-k next items after history (item ids, oldest first); unknown ids are ignored. */
    recommend(history: string[], options?: RecommendOptions): Recommendation[];
    /** Stepwise training with progress and cancellation between chunks of steps (see wasmrec.mjs). */
    train(dataset: Dataset, options?: TrainOptions): Promise<TrainProgress>;
    /** Training goes on from this model's weights (neural models; session kNN adds the sessions).
     * Without leaveOneOut: lr a third of the model's and at most 10 epochs unless given. */
    fineTune(dataset: Dataset, options?: FineTuneOptions): Promise<TrainProgress>;
    /** Adds a finished session to a session-kNN model (sknn, vsknn, stan, vstan) without refitting; other models throw WasmrecError. */
    addSession(items: string[]): { unknown: string[] };
    /** The same, plus the history ids the model does not know (left out of the history). */
    recommendDetailed(history: string[], options?: RecommendOptions): DetailedRecommendations;
    /** itemknn / markov: how much each known history item counts for `item` (only the last one
     * can be nonzero: these models score by the last item). Other models throw WasmrecError. */
    explain(history: string[], item: string): Explanation;
    /** sasrec / bert4rec: attention of the scoring position over the known history items, per
     * block (averaged over heads) and averaged over blocks. Other models throw WasmrecError. */
    attention(history: string[]): Attention;
    /** gru4rec / sasrec / bert4rec: item embeddings on their first two principal components. */
    itemMap(): ItemMap;
    /** twotower: every item's vector (item i at vectors[i*dim .. (i+1)*dim)). Others throw. */
    itemVectors(): ItemVectors;
    /** twotower: the query's vector; its inner products with itemVectors() rank as recommend does. */
    queryVector(history: string[], options?: { user?: string; userFeatures?: Record<string, string | string[]> }): Float32Array;
    /** twotower with item features: the vector of a new item from side-feature values alone. */
    itemVectorFor(itemFeatures: Record<string, string | string[]>): Float32Array;
    /** pipeline: the retrieval stage's candidates, then their order under the ranking stage. */
    twoStage(history: string[], options?: { user?: string; excludeSeen?: ExcludeSeen }): TwoStage;
    /** Leave-one-out evaluation: the engine's JSON report, parsed. */
    evaluate(dataset: Dataset, options?: EvaluateOptions): EvalReport;
    /** The item's title from the training data (kept in the model file), '' when it has none. */
    itemTitle(index: number): string;
    /** How many of dataset's items this model knows (0: a model of another catalogue). */
    knownItems(dataset: Dataset): number;
    /** A safetensors file (a copy owned by JS). */
    save(): Uint8Array;
    dispose(): void;
    [Symbol.dispose](): void;
}

export interface Explanation {
    history: { item: string; weight: number }[];
    unknown: string[];
}
export interface Attention {
    /** The known history items, oldest first. */
    items: string[];
    /** blocks[b][t]: block b's weight on items[t]; 0 for items older than max_len. */
    blocks: Float32Array[];
    mean: Float32Array;
    unknown: string[];
}
export interface ItemVectors { items: string[]; dim: number; vectors: Float32Array }
export interface StagedRecommendation extends Recommendation { retrievedAt: number }
export interface TwoStage { candidates: Recommendation[]; ranked: StagedRecommendation[]; retrieve: string; rank: string }
export interface ItemMap {
    /** Item ids in the model's order; x[i], y[i] is items[i]. */
    items: string[];
    x: Float32Array;
    y: Float32Array;
    /** Share of the embeddings' variance along each axis. */
    explained: [number, number];
}
