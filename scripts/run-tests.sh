#!/usr/bin/env bash
# `make test`: every check, going on after a failure so one run shows
# everything that is wrong; ends with "N passed, N failed".
#
# Every step runs in a pool, TEST_JOBS at a time (default 2: each has its own
# containers and network, and much of their time is spent waiting on apt,
# pip, systemd and request streams; a cloud alone keeps about one core busy).
# The two clouds start first; more at once starves their request streams. Each step's output is printed whole when
# it ends and kept in reports/logs/.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=${TEST_JOBS:-2}
logs=reports/logs
mkdir -p "$logs"

make --no-print-directory setup image || { echo "make test: 0 passed, 1 failed"; exit 1; }

roles=$(for f in roles/*/molecule/default/molecule.yml; do [ -e "$f" ] && basename "$(dirname "$(dirname "$(dirname "$f")")")"; done)
scenarios=$(for f in molecule/*/molecule.yml; do [ -e "$f" ] && basename "$(dirname "$f")"; done)

# Longest first, so the pool ends together; lint and the app's tests fill
# the gaps.
parallel=("cloud-corpus" "cloud")
for scenario in $scenarios; do parallel+=("molecule SCENARIO=$scenario"); done
parallel+=("test-repo")
for role in $roles; do parallel+=("molecule ROLE=$role"); done
parallel+=("lint" "test-app")

passed=0 failed=0 results=() failed_steps=()
record() {  # step, status, seconds
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); results+=("PASS  $(printf '%5ss' "$3")  make $1")
  else failed=$((failed + 1)); failed_steps+=("$1"); results+=("FAIL  $(printf '%5ss' "$3")  make $1"); fi
}
logfile() { echo "$logs/$(echo "$1" | tr ' =' '__').log"; }

declare -A pids starts
running=0
finish_one() {
  local pid step
  wait -n -p pid; local status=$?
  for step in "${!pids[@]}"; do
    if [ "${pids[$step]}" = "$pid" ]; then
      printf '\n\033[1m=== make %s\033[0m\n' "$step"
      cat "$(logfile "$step")"
      record "$step" "$status" $((SECONDS - starts[$step]))
      unset "pids[$step]"
    fi
  done
  running=$((running - 1))
}
for step in "${parallel[@]}"; do
  [ "$running" -ge "$jobs" ] && finish_one
  echo "--- started: make $step" >&2
  starts[$step]=$SECONDS
  # shellcheck disable=SC2086
  make --no-print-directory $step >"$(logfile "$step")" 2>&1 &
  pids[$step]=$!
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do finish_one; done

printf '\n\033[1m=== Summary\033[0m (logs in %s/)\n' "$logs"
printf '%s\n' "${results[@]}"
# CI shows the end of the output: say there which tests failed and why.
for step in "${failed_steps[@]}"; do
  printf '\n\033[1m=== Why make %s failed\033[0m\n' "$step"
  grep -E '^(FAILED|ERROR) |^E  |fatal: \[|FAILED! =>|CRITICAL|Error: ' "$(logfile "$step")" | cut -c1-400 | tail -n 25
  echo "--- its last lines:"
  tail -n 8 "$(logfile "$step")" | cut -c1-400
done
echo "make test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
