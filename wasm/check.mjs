// check.mjs: the argument checks every module of the JS library shares. A bad argument is
// rejected before anything reaches the engine, with a message that names it.
export function checkSignal(signal) {
    if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean')) {
        throw new TypeError(`signal must be an AbortSignal, got ${show(signal)}`);
    }
}
export function posInt(name, v) {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer, got ${show(v)}`);
    return v;
}
export function nonNegInt(name, v) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${show(v)}`);
    return v;
}
export function seed64(name, v) {
    if (typeof v === 'bigint') {
        if (v < 0n || v >= 1n << 64n) throw new RangeError(`${name} must fit in 64 unsigned bits, got ${v}`);
        return v;
    }
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${show(v)}`);
    return BigInt(v);
}
export function bool(name, v) {
    if (typeof v !== 'boolean') throw new TypeError(`${name} must be true or false, got ${show(v)}`);
    return v ? 1 : 0;
}
/** excludeSeen: 'auto' | true | false -> the engine's wr_seen (2 auto, 1 exclude, 0 keep). */
export function seenMode(name, v) {
    if (v === 'auto') return 2;
    if (typeof v !== 'boolean') throw new TypeError(`${name} must be 'auto', true or false, got ${show(v)}`);
    return v ? 1 : 0;
}
export function str(name, v) {
    if (typeof v !== 'string') throw new TypeError(`${name} must be a string, got ${show(v)}`);
    if (v.includes('\0')) throw new TypeError(`${name} must not contain a NUL character`);
    return v;
}
/**
 * Checks an options argument: undefined or a plain object whose keys are all known. An unknown
 * key is most often a typo (excludeseen, topK), which would otherwise be silently ignored.
 */
export function checkOptions(fn, o, allowed) {
    if (o === undefined) return {};
    if (o === null || typeof o !== 'object' || Array.isArray(o)) {
        throw new TypeError(`${fn}: options must be an object, got ${show(o)}`);
    }
    for (const key of Object.keys(o)) {
        if (!allowed.includes(key)) {
            throw new RangeError(`${fn}: unknown option ${JSON.stringify(key)}; the options are ${allowed.join(', ')}`);
        }
    }
    return o;
}

export function show(v) {
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'bigint') return `${v}n`;
    if (v === null || typeof v !== 'object') return String(v);
    return Array.isArray(v) ? 'an array' : `a ${v.constructor ? v.constructor.name : 'object'}`;
}
export function itemIds(name, v) {
    if (!Array.isArray(v)) throw new TypeError(`${name} must be an array of item id strings, got ${show(v)}`);
    v.forEach((id, i) => {
        if (typeof id !== 'string') throw new TypeError(`${name}[${i}] must be an item id string, got ${show(id)}`);
    });
    return v;
}
