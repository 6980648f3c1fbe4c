#!/usr/bin/env bash
# Builds the C++ harness's unit tests, the harness linked with the reference
# store and the durability supervisor under AddressSanitizer +
# UndefinedBehaviorSanitizer, then under ThreadSanitizer, and runs the unit
# tests, every gate mode, the durability gate (the supervisor driving the
# writer and the verifier; under strace for power_loss) and a short bench with
# each. Exits non-zero on any sanitizer report or failed run.
#
# usage: scripts/harness-sanitizers.sh [asan|tsan]...   (default: both)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HARNESS="$ROOT/jitskit_tui/harness/cpp"
STORE="$ROOT/jitskit_tui/harness/stores/reference/store.cc"
UNIT="$ROOT/tests/harness_cpp"
CXX="${CXX:-g++}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/jitskit-sanitizers.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

export ASAN_OPTIONS="abort_on_error=0:halt_on_error=1:detect_leaks=1:exitcode=86"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1"

# Entries of one section of sources.txt.
section() {
  awk -v want="[$1]" '
    { sub(/#.*/, ""); gsub(/^[ \t]+|[ \t]+$/, "") }
    /^\[/ { on = ($0 == want); next }
    on && NF { print }
  ' "$HARNESS/sources.txt"
}

fail() {
  echo "harness-sanitizers: $*" >&2
  exit 1
}

# Runs a command, keeping its output; fails on a bad exit status or on any
# sanitizer report in its stderr (reports that do not change the status too).
check_run() {
  local name="$1"
  shift
  local out="$WORK/$name.out" err="$WORK/$name.err" status=0
  "$@" >"$out" 2>"$err" || status=$?
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|WARNING: ThreadSanitizer' "$err"; then
    cat "$err" >&2
    fail "$name: sanitizer report (above)"
  fi
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$out" "$err" >&2
    fail "$name: exit status $status"
  fi
}

expect_in() {
  local name="$1" pattern="$2"
  grep -q "$pattern" "$WORK/$name.out" || {
    cat "$WORK/$name.out" >&2
    fail "$name: expected output matching $pattern"
  }
}

build() {
  local kind="$1" out="$WORK/$1"
  shift
  local sanitize=("$@")
  mkdir -p "$out"
  read -r -a harness_flags <<<"$(section harness-flags | tr '\n' ' ')"
  local flags=()
  for flag in "${harness_flags[@]}"; do
    [ "$flag" = "-O2" ] && flag="-O1"
    flags+=("$flag")
  done
  flags+=(-fno-omit-frame-pointer "${sanitize[@]}")
  local includes=()
  while read -r dir; do includes+=("-I$HARNESS/$dir"); done < <(section include)
  local objects=() library=() supervisor=()
  while read -r src; do
    local obj="$out/$(echo "$src" | tr / _).o"
    echo "  [$kind] $src"
    "$CXX" "${flags[@]}" "${includes[@]}" -c "$HARNESS/$src" -o "$obj"
    case "$src" in src/*) [ "$src" = "src/main.cc" ] || library+=("$obj") ;; esac
  done < <( (section jitskit-harness; section jitskit-durability) | awk '!seen[$0]++')
  while read -r src; do objects+=("$out/$(echo "$src" | tr / _).o"); done < <(section jitskit-harness)
  while read -r src; do supervisor+=("$out/$(echo "$src" | tr / _).o"); done < <(section jitskit-durability)
  "$CXX" "${flags[@]}" "-I$HARNESS/include" -c "$STORE" -o "$out/store.o"
  "$CXX" "${flags[@]}" "${objects[@]}" "$out/store.o" -o "$out/jitskit-harness"
  "$CXX" "${flags[@]}" "${supervisor[@]}" -o "$out/jitskit-durability"
  local unit_objects=()
  for src in "$UNIT"/*.cc; do
    echo "  [$kind] tests/harness_cpp/$(basename "$src")"
    local obj="$out/unit_$(basename "$src" .cc).o"
    "$CXX" "${flags[@]}" "${includes[@]}" "-I$UNIT" -c "$src" -o "$obj"
    unit_objects+=("$obj")
  done
  "$CXX" "${flags[@]}" "${unit_objects[@]}" "${library[@]}" "$out/store.o" -o "$out/unit-tests"
}

config() {
  local path="$1"
  shift
  {
    echo "value_size=48"
    echo "threads=2"
    echo "record_count=2000"
    echo "operation_count=20000"
    echo "mix_read=0.4"
    echo "mix_update=0.2"
    echo "mix_rmw=0.2"
    echo "mix_scan=0.1"
    echo "mix_delete=0.1"
    echo "operations=read,upsert,delete,rmw,scan"
    echo "gate_ops=2000"
    echo "tick_ms=50"
    for line in "$@"; do echo "$line"; done
  } >"$path"
}

exercise() {
  local kind="$1" bin="$WORK/$1"
  echo "== $kind: running"
  check_run "$kind-unit" "$bin/unit-tests"
  tail -n 1 "$WORK/$kind-unit.out" | grep -qE '^[0-9]+ passed, 0 failed$' ||
    fail "$kind-unit: unit tests failed"
  config "$WORK/$kind-none.cfg"
  check_run "$kind-api" "$bin/jitskit-harness" gate-api --config "$WORK/$kind-none.cfg"
  expect_in "$kind-api" '"passed":true'
  check_run "$kind-concurrency" "$bin/jitskit-harness" gate-concurrency --config "$WORK/$kind-none.cfg"
  expect_in "$kind-concurrency" '"passed":true'
  check_run "$kind-bench" "$bin/jitskit-harness" bench --config "$WORK/$kind-none.cfg"
  expect_in "$kind-bench" '"event":"result"'
  # A time-bounded trial: the monitor ends it, makes the warm-up cut and
  # ticks while the workers run.
  config "$WORK/$kind-trial.cfg" "operation_count=0" "duration_s=0.6" "warmup_s=0.2" \
    "driver_floor_ms=50"
  sed -i 's/^operation_count=20000$//' "$WORK/$kind-trial.cfg"
  check_run "$kind-trial" "$bin/jitskit-harness" bench --config "$WORK/$kind-trial.cfg"
  expect_in "$kind-trial" '"warm":false'
  for durability in process_crash power_loss; do
    local data="$WORK/$kind-$durability-data"
    mkdir -p "$data"
    config "$WORK/$kind-$durability.cfg" "durability=$durability" "data_dir=$data" "duration_s=0.5"
    check_run "$kind-$durability-api" "$bin/jitskit-harness" gate-api --config "$WORK/$kind-$durability.cfg"
    expect_in "$kind-$durability-api" '"passed":true'
    rm -rf "$data" && mkdir -p "$data"
    local trace=()
    if [ "$durability" = power_loss ] && command -v strace >/dev/null; then
      trace=(--strace-calls access,write,fsync,fdatasync,openat)
    fi
    check_run "$kind-$durability-gate" "$bin/jitskit-durability" \
      --config "$WORK/$kind-$durability.cfg" --harness "$bin/jitskit-harness" \
      --kill-after 1 "${trace[@]}"
    expect_in "$kind-$durability-gate" '"name":"durability","passed":true'
  done
  echo "== $kind: clean"
}

build_kind() {
  case "$1" in
    asan) build asan -fsanitize=address,undefined -fno-sanitize-recover=all ;;
    tsan) build tsan -fsanitize=thread ;;
  esac
}

kinds=("$@")
[ "${#kinds[@]}" -eq 0 ] && kinds=(asan tsan)
for kind in "${kinds[@]}"; do
  case "$kind" in
    asan | tsan) ;;
    *) fail "unknown sanitizer '$kind' (asan or tsan)" ;;
  esac
done
# The builds are most of the time and g++ uses one CPU: build every kind at once, then
# run them one after the other (the runs use both CPUs, and their timeouts assume so).
builders=()
for kind in "${kinds[@]}"; do
  build_kind "$kind" >"$WORK/build-$kind.log" 2>&1 &
  builders+=("$!")
done
for i in "${!kinds[@]}"; do
  status=0
  wait "${builders[$i]}" || status=$?
  cat "$WORK/build-${kinds[$i]}.log"
  [ "$status" -eq 0 ] || fail "${kinds[$i]}: the build failed (above)"
done
for kind in "${kinds[@]}"; do
  exercise "$kind"
done
echo "harness-sanitizers: all clean (${kinds[*]})"
