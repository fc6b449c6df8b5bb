#!/usr/bin/env node
// cli.mjs: the `wasmrec` command line on Node: the same C code as the native build/wasmrec, run
// from wasm/wasmrec.wasm. The C side (wr_cli_main) parses every flag and runs gen / train / eval /
// recommend; this file only supplies the host hooks (files through node:fs, output through
// process.stdout/stderr, time through performance.now) and marshals argv into wasm memory.
// With --threads above 1 (auto: every core, at most 8) it runs wasmrec-mt.wasm on that many.
//   node wasm/cli.mjs gen --out store.csv --sessions 500
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { autoThreads, threadsSupported } from './threads.mjs';
import { instantiate } from './wasmrec.mjs';

const nodeHost = {
    print(fd, bytes) { (fd === 2 ? process.stderr : process.stdout).write(bytes); },
    readFile(file) {
        try {
            return fs.readFileSync(file);
        } catch (e) {
            throw new Error(`${file}: cannot open: ${reason(e)}`);
        }
    },
    // Atomic: a failed write never leaves a half-written file in place of the old one.
    writeFile(file, bytes) {
        const tmp = `${file}.tmp`;
        try {
            fs.writeFileSync(tmp, bytes);
            fs.renameSync(tmp, file);
        } catch (e) {
            try { fs.unlinkSync(tmp); } catch { /* nothing to clean up */ }
            throw new Error(`${file}: cannot write: ${reason(e)}`);
        }
    },
    nowMs() { return performance.now(); },
};

// The messages of the native host (src/cli/host_stdio.c: "<path>: cannot open: <strerror>"), so
// both command lines fail with the same words.
function reason(e) {
    const texts = { ENOENT: 'No such file or directory', EACCES: 'Permission denied', EPERM: 'Operation not permitted',
        EISDIR: 'Is a directory', ENOTDIR: 'Not a directory', ENOSPC: 'No space left on device',
        EROFS: 'Read-only file system', EMFILE: 'Too many open files', ENAMETOOLONG: 'File name too long' };
    return texts[e.code] || e.message;
}

/* --threads N|auto as the C side reads it (default auto): more than one runs the threaded module */
async function threadsWanted(args) {
    const i = args.lastIndexOf('--threads');
    const v = i >= 0 ? args[i + 1] : 'auto';
    if (v === 'auto') return autoThreads();
    return /^[0-9]+$/.test(v ?? '') && +v >= 1 && +v <= 64 ? +v : 1; // anything else: the C side says what is wrong
}

async function main(args) {
    const threads = threadsSupported() ? await threadsWanted(args) : 1;
    const wasmPath = new URL(threads > 1 ? './wasmrec-mt.wasm' : './wasmrec.wasm', import.meta.url);
    let wasmBytes;
    try {
        wasmBytes = fs.readFileSync(wasmPath);
    } catch {
        process.stderr.write(`wasmrec: ${path.relative(process.cwd(), wasmPath.pathname) || wasmPath.pathname} ` +
            'is missing; build it with `make wasm`\n');
        return 1;
    }
    const rt = await instantiate({ wasmBytes, host: nodeHost, threads });
    const argv = ['wasmrec', ...args];
    return rt.scoped((s) => {
        const ptrs = argv.map((a) => s.string(a));
        const table = s.zeros(4 * (argv.length + 1)); // argv[argc] = NULL, as C expects
        const view = new DataView(rt.memory.buffer);
        ptrs.forEach((p, i) => view.setUint32(table + 4 * i, p, true));
        return rt.exports.wr_cli_main(argv.length, table);
    });
}

// `wasmrec ... | head`: a closed pipe ends the program quietly, as it does the native one.
for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
}

try {
    process.exitCode = await main(process.argv.slice(2));
} catch (e) {
    process.stderr.write(`wasmrec: ${e && e.message ? e.message : e}\n`);
    process.exitCode = 1;
}
