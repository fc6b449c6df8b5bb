#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS TARGET...: runs each libFuzzer target (build/fuzz/bin/TARGET, `make
# fuzz`) for SECONDS under nice, one after the other, from its committed seeds
# (tests/fuzz/corpus/NAME, read only) and the corpus it grew before (build/fuzz/corpus/TARGET,
# where new inputs go), with its dictionary, 2 GB of memory and 10 s per input. Prints per target
# the executions, the coverage (cov and ft of libFuzzer's last status line) and what it found;
# the finding (libFuzzer stops at the first) is in build/fuzz/artifacts/TARGET/ (with those of
# earlier runs: only this run's are counted) and the log in build/fuzz/logs/TARGET.log. Exits 1
# on any finding. FUZZ_FLAGS (environment) adds libFuzzer flags: CI gives "-seed=1 -runs=N", so a
# run explores a fixed sequence of inputs (a slower machine a prefix of it) rather than whatever a
# clock allows.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=$1
shift
B=build/fuzz
found=0
printf '%-18s %10s %7s %6s %6s %5s %4s %7s %3s  %s\n' target execs exec/s cov ft crash leak timeout oom log
for t in "$@"; do
  base=${t%_header}
  name=${base#fuzz_}
  work=$B/corpus/$t art=$B/artifacts/$t log=$B/logs/$t.log
  mkdir -p "$work" "$art" "$B/logs"
  stamp=$B/logs/$t.start
  touch "$stamp"
  # shellcheck disable=SC2086
  nice -n 19 "$B/bin/$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 ${FUZZ_FLAGS:-} \
    -dict="tests/fuzz/$name.dict" -artifact_prefix="$art/" "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  status=$(grep -E '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' <<<"$status" | grep -o '[0-9]*')
  ft=$(grep -o 'ft: [0-9]*' <<<"$status" | grep -o '[0-9]*')
  n() { find "$art" -maxdepth 1 -name "$1-*" -newer "$stamp" | wc -l; }
  crash=$(n crash) leak=$(n leak) timeout=$(n timeout) oom=$(n oom)
  printf '%-18s %10s %7s %6s %6s %5s %4s %7s %3s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$crash" "$leak" "$timeout" "$oom" "$log"
  if [ $((crash + leak + timeout + oom)) -gt 0 ]; then
    found=1
    for a in $(find "$art" -maxdepth 1 -type f -newer "$stamp"); do echo "  found: $a (reproduce: $B/bin/$t $a)"; done
    grep -m1 -E '^==[0-9]+==ERROR|^SUMMARY|FZ_CHECK failed|runtime error' "$log" | sed 's/^/  /'
  elif [ "$rc" != 0 ]; then
    found=1
    echo "  $t exited with status $rc without an artifact: see $log"
  fi
done
exit $found
