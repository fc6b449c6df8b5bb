// index_param.mjs: a copy of a pipeline's model file with its `index` setting changed (exact <->
// hnsw), tensors untouched: the header keeps its length (safetensors pads it with spaces).
//   node bench/pipeline/index_param.mjs IN.safetensors OUT.safetensors hnsw|exact
// run.sh trains with index=exact (so the CLI's seconds are the two stages' training alone), then
// loads this copy natively with index=hnsw: a pipeline file without an index builds it on load,
// which times the HNSW build, and saves the file the bench measures.
import { readFileSync, writeFileSync } from 'node:fs';

const [src, dst, to] = process.argv.slice(2);
const from = { hnsw: 'exact', exact: 'hnsw' }[to];
if (!from) throw new Error('the third argument is hnsw or exact');
const buf = readFileSync(src);
const n = Number(buf.readBigUInt64LE(0));
const header = buf.subarray(8, 8 + n).toString('latin1');
const key = (v) => `\\"index\\":\\"${v}\\"`; // inside the params string, itself JSON
const at = header.split(key(from)).length - 1;
if (at !== 1) throw new Error(`${src}: expected one ${key(from)} in the header, found ${at}`);
let out = header.replace(key(from), key(to));
out = out.length <= n ? out.padEnd(n, ' ') : null;
if (out === null) throw new Error(`${src}: the new header is longer than the old one`);
buf.write(out, 8, 'latin1');
writeFileSync(dst, buf);
