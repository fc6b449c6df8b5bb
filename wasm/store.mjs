// store.mjs: local persistence for wasmrec in IndexedDB: the visitor's event log (clicks grouped
// in sessions), saved models, and a few small settings. Nothing leaves the device.
//
//   import { openStore } from 'wasmrec/store';
//   const store = await openStore();            // never rejects for lack of storage: see below
//   await store.addEvent({ session: 's1', item: 'item-12' });
//   await store.sessions();                     // [{ session, items: ['item-12'], start, end }]
//   await store.saveModel('mine', bytes);       // atomic: the previous model survives a crash
//   (await store.loadModel('mine'))?.bytes;
//   await store.forget();                       // deletes everything this store ever wrote
//
// When IndexedDB cannot be opened (private mode, disabled storage, a browser bug, quota at 0),
// openStore() returns a store that keeps everything in memory for this page's lifetime:
// store.persistent is false and store.error says why, in a sentence. Writes that fail later
// (QuotaExceededError) reject with a StoreError naming the operation; the in-memory objects of the
// page (models, the current session) are not affected, so the page keeps working.
//
// Schema (version 2):
//   events  keyPath 'id' (auto)   { id, session, item, ts }              index 'session'
//   blobs   keyPath 'key'         { key, name, bytes, savedAt }          model bytes
//   models  keyPath 'name'        { name, blob, size, meta, savedAt }   pointer to the live blob
//   meta    keyPath 'key'         { key, value }                         small settings
// Version 1 (the first release) kept the bytes inside 'models' ({ name, bytes, savedAt }) and
// had no 'blobs' or 'meta'; the upgrade moves each model's bytes into a blob and leaves a pointer.
//
// Saving a model is two transactions: (1) write the bytes as a new blob under a fresh key,
// (2) in one transaction, point models[name] at it and delete the old blob. A crash or a closed
// tab between or during them leaves models[name] pointing at the old, complete blob; unreferenced
// blobs left behind are deleted the next time the store opens.

import { checkOptions } from './check.mjs';

export const DB_NAME = 'wasmrec';
export const DB_VERSION = 2;
const ORPHAN_AGE_MS = 60_000; // a blob younger than this may belong to a save in another tab

/** A storage failure, with a sentence for people; .cause is the browser's error. */
export class StoreError extends Error {
    constructor(message, cause) {
        super(message, cause === undefined ? undefined : { cause });
        this.name = 'StoreError';
    }
}

const reqP = (req) => new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
});
const txDone = (tx) => new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || domError('the transaction was aborted', 'AbortError'));
});
function domError(message, name) {
    try { return new DOMException(message, name); } catch { const e = new Error(message); e.name = name; return e; }
}

function explain(op, e) {
    const name = e?.name || 'Error';
    const why = name === 'QuotaExceededError'
        ? 'the browser has no storage left for this site (QuotaExceededError); free space or clear the site data'
        : name === 'AbortError' ? 'the write was interrupted (AbortError); nothing was changed'
            : name === 'InvalidStateError' ? 'the database was closed (InvalidStateError)'
                : `${name}: ${e?.message || e}`;
    return new StoreError(`wasmrec store: could not ${op}: ${why}`, e);
}

function checkBytes(name, v) {
    if (v instanceof Uint8Array) return v;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    throw new TypeError(`${name} must be a Uint8Array or an ArrayBuffer, got ${v === null ? 'null' : typeof v}`);
}
function checkName(name, v) {
    if (typeof v !== 'string' || v === '') throw new TypeError(`${name} must be a non-empty string, got ${JSON.stringify(v) ?? typeof v}`);
    return v;
}
function newKey(name) {
    const rnd = globalThis.crypto?.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    return `${name}:${rnd}`;
}

/** Creates or upgrades the schema inside a versionchange transaction (exported for tests). */
export function upgradeSchema(db, tx, oldVersion) {
    if (oldVersion < 1) {
        const ev = db.createObjectStore('events', { keyPath: 'id', autoIncrement: true });
        ev.createIndex('session', 'session');
        db.createObjectStore('models', { keyPath: 'name' });
    }
    if (oldVersion < 2) {
        db.createObjectStore('blobs', { keyPath: 'key' });
        db.createObjectStore('meta', { keyPath: 'key' });
        // v1 models held their bytes inline: move them into blobs, keep a pointer.
        const models = tx.objectStore('models');
        const blobs = tx.objectStore('blobs');
        models.openCursor().onsuccess = (e) => {
            const cur = e.target.result;
            if (!cur) return;
            const v = cur.value;
            if (v && v.bytes !== undefined && v.blob === undefined) {
                const key = newKey(v.name);
                const bytes = checkBytes('bytes', v.bytes);
                blobs.put({ key, name: v.name, bytes, savedAt: v.savedAt ?? Date.now() });
                cur.update({ name: v.name, blob: key, size: bytes.byteLength, meta: v.meta ?? {}, savedAt: v.savedAt ?? Date.now(), migratedFrom: 1 });
            }
            cur.continue();
        };
    }
}

/**
 * Opens (creating or upgrading) the store. Options: name (database name, default 'wasmrec'),
 * indexedDB (the factory, default globalThis.indexedDB). Falls back to memory, see above.
 */
export async function openStore(opts) {
    const { name = DB_NAME, indexedDB: factory = globalThis.indexedDB } = checkOptions('openStore', opts, ['name', 'indexedDB']);
    checkName('name', name);
    const store = new Store(name, factory);
    await store._open();
    return store;
}

class MemoryBackend {
    constructor() { this.clear(); }
    clear() { this.events = []; this.nextId = 1; this.models = new Map(); this.meta = new Map(); }
}

export class Store {
    constructor(name, factory) {
        this.name = name;
        this._factory = factory;
        this._db = null;
        this._mem = null;
        /** True while the data is in IndexedDB; false when kept in memory for this page only. */
        this.persistent = false;
        /** Why the store is in memory (a StoreError), or null. */
        this.error = null;
    }

    async _open() {
        try {
            if (!this._factory || typeof this._factory.open !== 'function') {
                throw domError('indexedDB is not available in this context', 'NotSupportedError');
            }
            const req = this._factory.open(this.name, DB_VERSION);
            req.onupgradeneeded = (e) => upgradeSchema(req.result, req.transaction, e.oldVersion);
            const db = await new Promise((resolve, reject) => {
                req.onsuccess = () => resolve(req.result);
                req.onerror = () => reject(req.error);
                req.onblocked = () => { /* another tab has an older version open; it closes on versionchange */ };
            });
            db.onversionchange = () => { db.close(); if (this._db === db) this._db = null; };
            this._db = db;
            this.persistent = true;
            this.error = null;
            await this._collectOrphans().catch(() => {});
        } catch (e) {
            this._db = null;
            this._mem = new MemoryBackend();
            this.persistent = false;
            this.error = new StoreError('wasmrec store: IndexedDB could not be opened ' +
                `(${e?.name || 'Error'}: ${e?.message || e}); private browsing or blocked storage? ` +
                'Keeping the event log and models in memory for this page only.', e);
        }
    }
    async _dbLive() {
        if (this._mem) return null;
        if (!this._db) await this._open(); // reopened after forget() or a versionchange
        return this._db;
    }
    async _tx(op, stores, mode, fn) {
        // after forget(), reading must not create the database again; the next write does
        if (this._forgotten && !this._db && !this._mem && mode === 'readonly') return fn(null, new MemoryBackend());
        this._forgotten = false;
        const db = await this._dbLive();
        if (!db) return fn(null, this._mem);
        let tx;
        try {
            tx = db.transaction(stores, mode);
        } catch (e) {
            throw explain(op, e);
        }
        const done = txDone(tx);
        let result;
        try {
            result = await fn(tx);
        } catch (e) {
            try { tx.abort(); } catch { /* already finished */ }
            const txError = await done.then(() => null, (x) => x);
            // a transaction aborted under us (closed tab, browser) shows up as an inactive one
            throw explain(op, e?.name === 'TransactionInactiveError' && txError ? txError : e);
        }
        try { await done; } catch (e) { throw explain(op, e); }
        return result;
    }

    async _collectOrphans() {
        const cutoff = Date.now() - ORPHAN_AGE_MS;
        await this._tx('clean up', ['blobs', 'models'], 'readwrite', async (tx, mem) => {
            const used = new Set((await reqP(tx.objectStore('models').getAll())).map((m) => m.blob));
            const blobs = tx.objectStore('blobs');
            const keys = await reqP(blobs.getAllKeys());
            for (const k of keys) {
                if (used.has(k)) continue;
                const b = await reqP(blobs.get(k));
                if (!b || (b.savedAt ?? 0) < cutoff) blobs.delete(k);
            }
        });
    }

    // ---- events ------------------------------------------------------------------------------

    /** Appends one event { session, item, ts? } (ts in ms, default now). Returns it with its id. */
    async addEvent(event) {
        if (event === null || typeof event !== 'object') throw new TypeError('event must be an object { session, item, ts? }');
        checkOptions('addEvent', event, ['session', 'item', 'ts']);
        const rec = { session: checkName('event.session', event.session), item: checkName('event.item', event.item), ts: event.ts ?? Date.now() };
        if (!Number.isFinite(rec.ts)) throw new TypeError(`event.ts must be a number of milliseconds, got ${rec.ts}`);
        return this._tx('record the event', ['events'], 'readwrite', async (tx, mem) => {
            if (!tx) { rec.id = mem.nextId++; mem.events.push(rec); return { ...rec }; }
            rec.id = await reqP(tx.objectStore('events').add(rec));
            return rec;
        });
    }
    /** Every event, oldest first. */
    async events() {
        return this._tx('read the events', ['events'], 'readonly', async (tx, mem) => {
            if (!tx) return mem.events.map((e) => ({ ...e }));
            return reqP(tx.objectStore('events').getAll());
        });
    }
    /** The events grouped by session, sessions in order of their first event: [{ session, items, start, end }]. */
    async sessions() {
        const by = new Map();
        for (const e of await this.events()) {
            let s = by.get(e.session);
            if (!s) { s = { session: e.session, items: [], start: e.ts, end: e.ts }; by.set(e.session, s); }
            s.items.push(e.item);
            s.end = Math.max(s.end, e.ts);
        }
        return [...by.values()];
    }
    /** The event log as CSV (session,item,timestamp; seconds), for engine.dataset(). */
    async eventsCsv() {
        const q = (s) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
        const lines = ['session,item,timestamp'];
        for (const e of await this.events()) lines.push(`${q(e.session)},${q(e.item)},${Math.floor(e.ts / 1000)}`);
        return lines.join('\n') + '\n';
    }
    async clearEvents() {
        return this._tx('clear the events', ['events'], 'readwrite', async (tx, mem) => {
            if (!tx) { mem.events = []; return; }
            await reqP(tx.objectStore('events').clear());
        });
    }

    // ---- models --------------------------------------------------------------------------------

    /**
     * Saves bytes as model `name`, atomically: the previous model stays loadable until the new
     * one is completely written. meta: a small JSON-able object stored next to it.
     */
    async saveModel(name, bytes, meta = {}) {
        checkName('name', name);
        const b = checkBytes('bytes', bytes);
        if (meta === null || typeof meta !== 'object') throw new TypeError('meta must be an object');
        const savedAt = Date.now();
        if (this._mem) {
            this._mem.models.set(name, { name, bytes: b.slice(), meta: structuredClone(meta), savedAt, size: b.byteLength });
            return { name, size: b.byteLength, savedAt, persistent: false };
        }
        const key = newKey(name);
        const copy = b.slice(); // what is stored cannot change under us
        await this._tx(`save model "${name}" (${b.byteLength} bytes)`, ['blobs'], 'readwrite', async (tx, mem) => {
            tx.objectStore('blobs').put({ key, name, bytes: copy, savedAt });
        });
        try {
            await this._tx(`save model "${name}" (${b.byteLength} bytes)`, ['blobs', 'models'], 'readwrite', async (tx, mem) => {
                const models = tx.objectStore('models');
                const old = await reqP(models.get(name));
                models.put({ name, blob: key, size: b.byteLength, meta: structuredClone(meta), savedAt });
                if (old?.blob && old.blob !== key) tx.objectStore('blobs').delete(old.blob);
            });
        } catch (e) {
            // the pointer was not switched: drop the new blob (best effort; open() would too)
            await this._tx('clean up', ['blobs'], 'readwrite', async (tx, mem) => { tx.objectStore('blobs').delete(key); }).catch(() => {});
            throw e;
        }
        return { name, size: b.byteLength, savedAt, persistent: true };
    }
    /** { name, bytes, meta, savedAt, size } of model `name`, or null. */
    async loadModel(name) {
        checkName('name', name);
        return this._tx(`load model "${name}"`, ['blobs', 'models'], 'readonly', async (tx, mem) => {
            if (!tx) {
                const m = mem.models.get(name);
                return m ? { ...m, bytes: m.bytes.slice(), meta: structuredClone(m.meta) } : null;
            }
            const ptr = await reqP(tx.objectStore('models').get(name));
            if (!ptr) return null;
            const blob = await reqP(tx.objectStore('blobs').get(ptr.blob));
            if (!blob) throw new StoreError(`wasmrec store: model "${name}" points at a missing blob ${ptr.blob}`);
            return { name, bytes: checkBytes('bytes', blob.bytes), meta: ptr.meta ?? {}, savedAt: ptr.savedAt, size: ptr.size };
        });
    }
    /** Names and sizes of the saved models: [{ name, size, savedAt, meta }]. */
    async listModels() {
        return this._tx('list the models', ['models'], 'readonly', async (tx, mem) => {
            const all = tx ? await reqP(tx.objectStore('models').getAll()) : [...mem.models.values()];
            return all.map(({ name, size, savedAt, meta }) => ({ name, size, savedAt, meta }));
        });
    }
    async deleteModel(name) {
        checkName('name', name);
        return this._tx(`delete model "${name}"`, ['blobs', 'models'], 'readwrite', async (tx, mem) => {
            if (!tx) return mem.models.delete(name);
            const ptr = await reqP(tx.objectStore('models').get(name));
            if (!ptr) return false;
            tx.objectStore('models').delete(name);
            tx.objectStore('blobs').delete(ptr.blob);
            return true;
        });
    }

    // ---- small settings ------------------------------------------------------------------------

    async getMeta(key) {
        checkName('key', key);
        return this._tx('read a setting', ['meta'], 'readonly', async (tx, mem) => {
            if (!tx) return mem.meta.has(key) ? structuredClone(mem.meta.get(key)) : undefined;
            return (await reqP(tx.objectStore('meta').get(key)))?.value;
        });
    }
    async setMeta(key, value) {
        checkName('key', key);
        return this._tx('write a setting', ['meta'], 'readwrite', async (tx, mem) => {
            if (!tx) { mem.meta.set(key, structuredClone(value)); return; }
            tx.objectStore('meta').put({ key, value });
        });
    }

    // ---- everything ------------------------------------------------------------------------------

    /**
     * Deletes everything: the whole database (events, models, settings). The store stays usable;
     * a later write creates an empty database again.
     */
    async forget() {
        if (this._mem) { this._mem.clear(); return; }
        if (this._db) { this._db.close(); this._db = null; }
        this._forgotten = true;
        try {
            await new Promise((resolve, reject) => {
                const req = this._factory.deleteDatabase(this.name);
                req.onsuccess = () => resolve();
                req.onerror = () => reject(req.error);
                req.onblocked = () => { /* other tabs close on versionchange; success follows */ };
            });
        } catch (e) {
            throw explain('delete the stored data', e);
        }
    }
    /** Closes the connection (a later call reopens it). */
    close() { if (this._db) { this._db.close(); this._db = null; } }
}
