# bench/openblas.sh: sourced by the benchmarks that time PyTorch, so the peer runs at its best.
# Debian's python3-torch runs on OpenBLAS's kernel choice. Some environments pin an older kernel
# (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE); on a virtual CPU that hides its model, OpenBLAS's own
# detection falls back to Prescott (seen here: GRU4Rec 23.6k positions/s, SkylakeX 45.6k). So
# openblas_fastest times each kernel this CPU runs on a gemm of the models' shape (one thread)
# and sets OPENBLAS_ENV, the env(1) arguments that select the fastest, and OPENBLAS_KERNEL, its
# name ("auto": OpenBLAS's own choice).
openblas_fastest() {
  local probe='import time, torch; torch.set_num_threads(1); a, b = torch.randn(128, 64), torch.randn(64, 1682)
for _ in range(50): a @ b
t = time.perf_counter()
for _ in range(2000): a @ b
print(time.perf_counter() - t)'
  local ct t best=
  OPENBLAS_KERNEL=auto
  for ct in auto Prescott Haswell Zen SkylakeX Cooperlake SapphireRapids; do
    if [ "$ct" = auto ]; then t=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 /usr/bin/python3 -c "$probe" 2>/dev/null) || continue
    else t=$(env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE="$ct" OPENBLAS_NUM_THREADS=1 /usr/bin/python3 -c "$probe" 2>/dev/null) || continue; fi
    echo "bench: OpenBLAS kernel $ct: $t s" >&2
    if [ -z "$best" ] || node -e "process.exit($t < $best ? 0 : 1)"; then best=$t OPENBLAS_KERNEL=$ct; fi
  done
  OPENBLAS_ENV=(-u OPENBLAS_L2_SIZE -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1)
  [ "$OPENBLAS_KERNEL" = auto ] || OPENBLAS_ENV=(-u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE="$OPENBLAS_KERNEL" OPENBLAS_NUM_THREADS=1)
  echo "bench: PyTorch runs on OpenBLAS kernel $OPENBLAS_KERNEL" >&2
}
