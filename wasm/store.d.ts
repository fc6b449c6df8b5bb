// store.d.ts: types of store.mjs (import from 'wasmrec/store'): the IndexedDB event log and models.

export const DB_NAME: 'wasmrec';
export const DB_VERSION: 2;

/** A storage failure: message is a sentence for people, cause the browser's error (e.g. QuotaExceededError). */
export class StoreError extends Error {
    readonly name: 'StoreError';
    constructor(message: string, cause?: unknown);
}

export interface StoredEvent { id: number; session: string; item: string; ts: number }
export interface StoredSession { session: string; items: string[]; start: number; end: number }
export interface StoredModelInfo { name: string; size: number; savedAt: number; meta: Record<string, unknown> }
export interface StoredModel extends StoredModelInfo { bytes: Uint8Array }

export interface OpenStoreOptions {
    /** Database name; default 'wasmrec'. */
    name?: string;
    /** The IndexedDB factory; default globalThis.indexedDB. */
    indexedDB?: IDBFactory;
}

/** Opens (creates, upgrades) the store; falls back to memory (persistent = false) instead of rejecting. */
export function openStore(options?: OpenStoreOptions): Promise<Store>;
/** The schema steps, run inside onupgradeneeded (exported for tests). */
export function upgradeSchema(db: IDBDatabase, tx: IDBTransaction, oldVersion: number): void;

export class Store {
    readonly name: string;
    /** False when IndexedDB could not be opened and everything is kept in memory. */
    readonly persistent: boolean;
    /** Why the store is in memory, or null. */
    readonly error: StoreError | null;
    addEvent(event: { session: string; item: string; ts?: number }): Promise<StoredEvent>;
    events(): Promise<StoredEvent[]>;
    sessions(): Promise<StoredSession[]>;
    /** session,item,timestamp CSV (timestamps in seconds) for engine.dataset(). */
    eventsCsv(): Promise<string>;
    clearEvents(): Promise<void>;
    /** Atomic: the previous model stays loadable until the new one is completely written. */
    saveModel(name: string, bytes: Uint8Array | ArrayBuffer | ArrayBufferView, meta?: Record<string, unknown>):
        Promise<{ name: string; size: number; savedAt: number; persistent: boolean }>;
    loadModel(name: string): Promise<StoredModel | null>;
    listModels(): Promise<StoredModelInfo[]>;
    deleteModel(name: string): Promise<boolean>;
    getMeta(key: string): Promise<unknown>;
    setMeta(key: string, value: unknown): Promise<void>;
    /** Deletes the whole database; the store stays usable (a later write starts an empty one). */
    forget(): Promise<void>;
    close(): void;
}
