#!/usr/bin/env bash
# tests/fuzz/make_seeds.sh: writes the seed corpora of tests/fuzz/corpus/ (committed; run it
# again after a change to the file formats): small real inputs of every format, and real small
# model files of every model family trained by the CLI on the demo store the targets evaluate on
# (fuzz.h's fz_store: 30 sessions, 20 items, seed 3), and index files. Needs `make native`.
# Most targets read one byte of choices before the file (see each tests/fuzz/fuzz_*.c); the
# seeds carry it as their first byte.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=build/wasmrec
C=tests/fuzz/corpus
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
rm -rf "$C"
mkdir -p "$C"/{data,side,titles,label,params,model,index}
# a seed: its choice byte (decimal) then the file
seed() { { printf "\\$(printf '%03o' "$2")"; cat; } >"$C/$1"; }

$W gen --out "$T/store.csv" --sessions 30 --items 20 --seed 3 --users-out "$T/users.csv" --items-out "$T/items.csv" >/dev/null 2>&1
$W gen --out "$T/plain.csv" --sessions 30 --items 20 --seed 3 >/dev/null 2>&1

# ---- data: bits 0-2 format (0 auto, 1 csv, 2 movielens, 3 seq, 4 otto), 3 skip_bad, 4 fit, 5-7 model
udata() { for u in 1 2 3 4 5 6; do for k in 0 1 2 3 4; do printf '%d\t%d\t%d\t%d\n' $u $(((u * 7 + k * 5) % 30 + 1)) $(((u + k) % 5 + 1)) $((880000000 + u * 100 + k)); done; done; }
head -41 "$T/plain.csv" | seed data/store.csv $((1 | 16 | 2 << 5))
head -31 "$T/store.csv" | seed data/store-labels.csv $((0 | 16 | 6 << 5))
printf 'user_id\titem_id\ttimestamp\ttitle\tgenre\n"u1"\t"a,b"\t5\t"The ""best"" one"\tx\nu1\tc\t6.5\t\t\nu2\ta,b\t7\tSecond\ty\nu2\tc\t-3\tThird\ty\nu2\td\t8\t\t\n' | seed data/quoted.tsv $((1 | 16 | 5 << 5))
udata | seed data/u.data $((2 | 16 | 3 << 5))
udata | tr '\t' ':' | sed 's/:/::/g' | seed data/ratings.dat $((0 | 16 | 1 << 5))
printf 'u1 i1\nu1 i2\nu1 i3\nu2 i2\nu2 i3\nu2 i1\nu3 i1\nu3 i3\nu3 i2\nu3 i4\n' | seed data/seq.txt $((3 | 16 | 1 << 5))
printf '{"session":1,"events":[{"aid":5,"ts":1659304800,"type":"clicks"},{"aid":7,"ts":1659304900,"type":"carts"},{"aid":5,"ts":1659305000,"type":"orders"}]}\n{"session":2,"events":[{"aid":7,"ts":1659304800,"type":"clicks"},{"aid":9,"ts":1659304810,"type":"clicks"},{"aid":5,"ts":1659304820,"type":"clicks"}]}\n{"session": 3, "events": [{"aid": 9, "ts": 1659304801, "type": "clicks"}, {"aid": 5, "ts": 1659304802, "type": "carts"}, {"aid": 7, "ts": 1659304803, "type": "orders"}]}\n' >"$T/otto.jsonl"
seed data/otto.jsonl $((4 | 16 | 4 << 5)) <"$T/otto.jsonl"
seed data/otto-auto.jsonl $((0 | 16 | 7 << 5)) <"$T/otto.jsonl"
printf 'session,item,ts\n1,a,1\n1,,2\n1,b,x\n2,a,3\n2,b,4\n2,c,5\n3,"unterminated,6\n3,c,7\n3,a,8\n3,b,9\n' | seed data/bad-lines.csv $((1 | 8 | 16 | 2 << 5))
printf 'session,item,timestamp\na,x,-9223372036854775000\na,y,-9223372036854774999\nb,x,9223372036854775000\nb,z,9223372036854775001\nb,x,9223372036854775002\n' >"$T/extreme.csv"
seed data/extreme-times.csv $((1 | 16 | 4 << 5)) <"$T/extreme.csv"
printf '\x1f\x8b\x08\x00\x00\x00\x00\x00' | seed data/gzip.bin 0

# ---- side: bit 0 items, 1 MovieLens-shaped data, 2 twice, 3-4 model (-, lr, fm, twotower), 5 the store's other table first
for u in $(seq 1 20); do printf '%d|%d|%s|%s|%05d\n' $u $((18 + u * 3 % 40)) $([ $((u % 2)) = 0 ] && echo M || echo F) $([ $((u % 3)) = 0 ] && echo technician || echo writer) $((85700 + u)); done | seed side/u.user $((0 | 2 | 1 << 3))
for u in $(seq 1 20); do printf '%d::%s::%d::%d::%05d\n' $u $([ $((u % 2)) = 0 ] && echo M || echo F) $((u % 7 * 10 + 1)) $((u % 20)) $((48000 + u)); done | seed side/users.dat $((0 | 2 | 2 << 3))
uitem() { for i in $(seq 1 30); do printf '%d|Film %d (19%02d)|01-Jan-19%02d||http://x/%d' $i $i $((60 + i)) $((60 + i)) $i; for g in $(seq 0 18); do printf '|%d' $(((i + g) % 5 == 0)); done; printf '\n'; done; }
uitem | seed side/u.item $((1 | 2 | 2 << 3))
for i in $(seq 1 30); do printf '%d::Film %d (19%02d)::Drama|Comedy\n' $i $i $((60 + i)); done >"$T/movies.dat"
seed side/movies.dat $((1 | 2 | 1 << 3)) <"$T/movies.dat"
seed side/sessions.csv $((0 | 3 << 3 | 1 << 5)) <"$T/users.csv"
seed side/items.csv $((1 | 1 << 3 | 1 << 5)) <"$T/items.csv"
{ echo 'item,price,tags,note'; tail -n +2 "$T/items.csv" | cut -d, -f1 | awk '{printf "%s,%d.5,a|b|c%d,\"q,%d\"\n", $1, NR * 7, NR % 3, NR}'; for i in 1 2 3 4 5; do echo "unknown-$i,$((i * 3)).25,a,x"; done; } | seed side/numeric.csv $((1 | 2 << 3))
printf 'id\tage\tcity\n1\t30\tParis\n2\t\tOslo\n3\t41\t\n' | seed side/ids.tsv $((0 | 2 | 1 << 3))

# ---- titles: bit 0 MovieLens-shaped data, 1 twice, 2 fit, save and reload
uitem | seed titles/u.item $((1 | 4))
seed titles/movies.dat $((1 | 2 | 4)) <"$T/movies.dat"
tail -n +2 "$T/items.csv" | cut -d, -f1 | awk '{printf "%s|Title of %s, \"quoted\" \\\\ caf\xc3\xa9\n", $1, $1}' | seed titles/store-ids.item 4

# ---- label: bit 0 label before drop, 1 fit and evaluate, 2 the MovieLens-shaped data, 3 skip_bad; then a drop line, a label line, the data
{ printf 'rating==3\nrating>=4\n'; udata; } | seed label/u.data $((2))
{ printf '\nlabel>=1\n'; head -60 "$T/store.csv"; } | seed label/store.csv $((1 | 2))
{ printf 'score<-1\nrating>=0.5\n'; printf 'user,item,score,click\na,x,0.1,0\na,y,0.9,1\nb,x,0.7,1\nb,z,0.2,0\nc,y,1e3,1\nc,z,-2,0\nc,x,0.5,1\n'; } | seed label/columns.csv $((2))
printf 'rating<=2\nrating>4.5\n' | seed label/conditions-only $((4 | 2))

# ---- params: bits 0-4 family (wr_model_names), 5 labelled store with side tables, 6-7 fit, fit_loo, random split, cold-users
i=0
IFS=, read -ra names <<<"$(grep -o '"pop,itemknn[a-z0-9,]*"' src/models/model.c | head -1 | tr -d '"')"
for m in "${names[@]}"; do
  case $m in
    sknn|vsknn|stan|vstan) sets='k=20\nsample_size=50' ;;
    itemknn) sets='neighbors=5\nlambda=1.5' ;;
    gru4rec) sets='dim=8\nepochs=2\nn_sample=4\nloss=bpr-max' ;;
    sasrec|bert4rec) sets='dim=8\nheads=2\nblocks=1\nmax_len=8\nepochs=2\nloss=sampled' ;;
    ease) sets='lambda=10' ;;
    mf) sets='dim=4\nepochs=2\nloss=bce' ;;
    gmf) sets='dim=4\nepochs=2' ;;
    mlp|neumf) sets='dim=4\nepochs=2\nlayers=1' ;;
    lr) sets='epochs=2\nlabel_neg=2' ;;
    fm|ffm) sets='dim=4\nepochs=2' ;;
    deepfm) sets='dim=4\nhidden=8\nlayers=1\nepochs=2' ;;
    twotower) sets='dim=8\nhidden=8\nepochs=2\npool=mean' ;;
    pipeline) sets='retrieve=twotower\nrank=lr\nretrieve.dim=8\nretrieve.epochs=1\nrank.epochs=1\ncandidates=5\nM=4' ;;
    *) sets='' ;;
  esac
  # fit_loo (mode 1) on the plain store: labelled data is evaluated on held-out events
  mode=$((i % 4)) labelled=32
  [ $mode = 1 ] && labelled=0
  printf "$sets" | seed params/$m $((i | labelled | mode << 6))
  i=$((i + 1))
done

# ---- model files: every family, on the labelled store with its side tables (and a few variants)
train() { # name file settings...
  local m=$1 out=$2; shift 2
  $W train --data "$T/store.csv" --users "$T/users.csv" --items "$T/items.csv" --label "label>=1" --model "$m" "$@" --out "$C/model/$out" >/dev/null 2>&1 ||
    { echo "make_seeds: training $m failed" >&2; exit 1; }
}
for m in "${names[@]}"; do
  case $m in
    gru4rec) train $m $m.safetensors --epochs 2 --set dim=8 --set n_sample=4 ;;
    sasrec|bert4rec) train $m $m.safetensors --epochs 2 --set dim=8 --set heads=2 --set blocks=1 --set max_len=8 ;;
    mf|gmf|mlp|neumf|fm|ffm) train $m $m.safetensors --epochs 2 --set dim=4 ;;
    deepfm) train $m $m.safetensors --epochs 2 --set dim=4 --set hidden=8 --set layers=1 ;;
    twotower) train $m $m.safetensors --epochs 2 --set dim=8 --set hidden=8 ;;
    pipeline) train $m $m.safetensors --set retrieve.dim=8 --set retrieve.hidden=8 --set retrieve.epochs=2 --set rank.dim=4 --set rank.hidden=8 --set rank.layers=1 --set rank.epochs=2 --set M=4 --set candidates=8 ;;
    lr) train $m $m.safetensors --epochs 2 ;;
    *) train $m $m.safetensors ;;
  esac
done
train pipeline pipeline-exact.safetensors --set retrieve=sasrec --set retrieve.dim=8 --set retrieve.max_len=8 --set retrieve.blocks=1 --set retrieve.epochs=1 --set rank=pop --set index=exact --set candidates=4
train sasrec sasrec-bce.safetensors --epochs 1 --set dim=4 --set heads=1 --set blocks=2 --set max_len=4 --set loss=bce
$W train --data "$T/plain.csv" --model stan --out "$C/model/stan-plain.safetensors" >/dev/null 2>&1
$W train --data "$T/plain.csv" --model mf --epochs 2 --set dim=4 --out "$C/model/mf-bpr.safetensors" >/dev/null 2>&1

# ---- what broke the engine from outside the tree (issue 15), checked again the same way
printf 'a x\na y\nb x\nb z\n' >"$T/nul.seq"
{ printf 'lap-000\0xyzxyz|Title|01-Jan-1995||x'; for g in $(seq 19); do printf '|0'; done; printf '\ntri-000|T\xff\xfe|x\n'; } | seed titles/regress-nul-id.item 4
printf 'dim=1e308\ndim=inf\nmax_len=9.3e18\nepochs=0x10\nbatch= 8\nheads=2 \ndim=8.0\nepochs=1e0\n' | seed params/regress-huge-ints $((8 | 32 | 2 << 6))
printf 'sample_size=1e18\nk=inf\nneighbors=-1\nlambda_snh=1e18\n' | seed params/regress-stan $((5 | 0 << 6))
printf 'n_sample=1000000\ndim=4\nepochs=1\n' | seed params/regress-n-sample $((7 | 0 << 6))
{ echo 'session,item'; for i in $(seq 1 1200); do echo "a,i$i"; done; } | seed data/regress-long-session.csv $((1 | 16 | 2 << 5))
$W train --data "$T/extreme.csv" --model stan --out "$C/model/regress-stan-times.safetensors" >/dev/null 2>&1 ||
  { echo "make_seeds: training stan on extreme times failed" >&2; exit 1; }
# a model file's header rewritten (its length updated): FILE OUT FROM TO
rewrite() {
  python3 - "$@" <<'PY'
import struct, sys
src, out, old, new = sys.argv[1:5]
b = open(src, 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = b[8:8 + n].decode('latin-1')
assert old in h, (src, old)
h = h.replace(old, new, 1).encode('latin-1')
open(out, 'wb').write(struct.pack('<Q', len(h)) + h + b[8 + n:])
PY
}
rewrite "$C/model/gru4rec.safetensors" "$C/model/regress-gru4rec-dim4096.safetensors" '\"dim\":8' '\"dim\":4096'
rewrite "$C/model/sasrec.safetensors" "$C/model/regress-sasrec-dim1024.safetensors" '\"dim\":8' '\"dim\":1024'
rewrite "$C/model/sasrec.safetensors" "$C/model/regress-sasrec-len1024.safetensors" '\"max_len\":8' '\"max_len\":1024'
rewrite "$C/model/pop.safetensors" "$C/model/regress-nul-id.safetensors" '\"tri-000\"' '\"lap-000\\u0000\"'
rewrite "$C/model/mf.safetensors" "$C/model/regress-mf-dim4096.safetensors" '\"dim\":4' '\"dim\":4096'
python3 - "$C/model/pop.safetensors" "$C/model/regress-nan-counts.safetensors" <<'PY'
import json, struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
a = h['pop.counts']['data_offsets'][0]
b[8 + n + a:8 + n + a + 4] = struct.pack('<f', float('nan'))
open(sys.argv[2], 'wb').write(b)
PY

# ---- index files (tests/fuzz/make_index_seeds.c through the library)
gcc -std=c11 -O1 -D_POSIX_C_SOURCE=200809L tests/fuzz/make_index_seeds.c build/libwasmrec.a -lm -o "$T/index_seeds"
"$T/index_seeds" "$C/index"
echo "make_seeds: $(find "$C" -type f | wc -l) seeds in $C ($(du -sh "$C" | cut -f1))"
