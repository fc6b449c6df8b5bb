#!/usr/bin/env node
// lowrank.mjs: a MovieLens-100k-sized file (u.data format) whose users pick items by planted
// low-rank tastes, for checking that the collaborative models learn such structure when a data
// set has it (bench/quality/movielens_like.mjs's generated users follow drifting genre tastes,
// whose collaborative signal is weak). No dependencies, seeded, deterministic.
//
//   node bench/quality/lowrank.mjs [--seed 7] [--scale 1.5] [--out FILE]
//
// 943 users and 1682 items get Gaussian vectors of 8 dimensions; each user rates 20 to 700 items
// (log-normal, median ~67), drawn one after another without replacement with probability
// proportional to exp(scale * u.v / sqrt(8)) * popularity, popularity Zipf-like (rank^-0.9). The
// order in time is the order of the draws (no sequential structure); ratings are uniform 1-5 noise.
// With the defaults: 96,119 ratings.
import { writeFileSync } from 'node:fs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((a, x, i, all) => (x.startsWith('--') ? [...a, [x.slice(2), all[i + 1]]] : a), []));
let seed = +(args.seed ?? 7) >>> 0;
const scale = +(args.scale ?? 1.5);
const rand = () => { // mulberry32
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
const U = 943, I = 1682, D = 8;
const uv = Array.from({ length: U }, () => Array.from({ length: D }, gauss));
const iv = Array.from({ length: I }, () => Array.from({ length: D }, gauss));
const logPop = Array.from({ length: I }, (_, i) => -0.9 * Math.log(i + 1));
const lines = [];
for (let u = 0; u < U; u++) {
  const n = Math.max(20, Math.min(700, Math.round(Math.exp(4.2 + 0.9 * gauss()))));
  const w = iv.map((v, i) => Math.exp((scale * v.reduce((a, x, k) => a + x * uv[u][k], 0)) / Math.sqrt(D) + logPop[i]));
  const used = new Set();
  let t = 880000000 + Math.floor(rand() * 1e6);
  for (let k = 0; k < n; k++) {
    let total = 0;
    for (let i = 0; i < I; i++) if (!used.has(i)) total += w[i];
    let r = rand() * total, i = 0;
    for (; i < I - 1; i++) {
      if (used.has(i)) continue;
      r -= w[i];
      if (r <= 0) break;
    }
    used.add(i);
    t += 1 + Math.floor(rand() * 5000);
    lines.push(`${u + 1}\t${i + 1}\t${1 + Math.floor(rand() * 5)}\t${t}`);
  }
}
const text = lines.join('\n') + '\n';
if (args.out) writeFileSync(args.out, text);
else process.stdout.write(text);
console.error(`lowrank: ${lines.length} ratings of ${U} users over ${I} items (seed ${args.seed ?? 7}, scale ${scale})`);
