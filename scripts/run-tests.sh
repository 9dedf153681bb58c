#!/usr/bin/env bash
# `make test`: every check, in order, going on after a failure so one run
# shows everything that is wrong; ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

make --no-print-directory setup image || { echo "setup: 0 passed, 1 failed"; exit 1; }

roles=$(for f in roles/*/molecule/default/molecule.yml; do [ -e "$f" ] && basename "$(dirname "$(dirname "$(dirname "$f")")")"; done)
scenarios=$(for f in molecule/*/molecule.yml; do [ -e "$f" ] && basename "$(dirname "$f")"; done)

steps=("lint" "test-app" "test-repo")
for role in $roles; do steps+=("molecule ROLE=$role"); done
for scenario in $scenarios; do steps+=("molecule SCENARIO=$scenario"); done

passed=0 failed=0 results=()
for step in "${steps[@]}"; do
  printf '\n\033[1m=== make %s\033[0m\n' "$step"
  start=$SECONDS
  # shellcheck disable=SC2086  # the step is a target plus its variables
  if make --no-print-directory $step; then
    passed=$((passed + 1)); results+=("PASS  $(printf '%4ss' $((SECONDS - start)))  make $step")
  else
    failed=$((failed + 1)); results+=("FAIL  $(printf '%4ss' $((SECONDS - start)))  make $step")
  fi
done

printf '\n\033[1m=== Summary\033[0m\n'
printf '%s\n' "${results[@]}"
echo "make test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
