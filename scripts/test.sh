#!/usr/bin/env bash
# Runs every test: installs the Node tools the tests use into tools/node_modules (npm ci), restores the .NET packages in
# locked mode, then builds and runs the .NET test suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# npm ci installs exactly what tools/package-lock.json records (and fails if it no longer matches package.json).
if [ ! -d tools/node_modules ] || [ tools/package.json -nt tools/node_modules/.installed ] \
  || [ tools/package-lock.json -nt tools/node_modules/.installed ]; then
  echo "Installing test tools (npm ci) into tools/node_modules"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed)
fi

configuration="${CONFIGURATION:-Release}"
# Locked mode: restore exactly the committed packages.lock.json files; a package change without its lock file fails
# here. (The Functions SDK restores its generated WorkerExtensions project itself, during the build.)
dotnet restore MasterMcp.sln --locked-mode --nologo
dotnet build MasterMcp.sln -c "$configuration" --no-restore --nologo
# -m:1 runs the test projects one after the other: several tests start the built gateway and time their answers,
# and two test hosts competing for this machine's cores would make those timings meaningless.
# The output is also kept in a file so that, when a test fails, its name and error are printed again at the very end:
# a CI log that keeps only its last lines then still shows what failed, whichever test project it was in.
# A run (not aborted) where at most 5 test methods failed runs each of them once more, alone (NO_RERUN=1 turns that
# off). The run passes only if every one of them passes then, and the end of the output still names them and shows their
# first failure: a test that needed the second run is a timing fault of the suite, to be fixed, not forgotten.
log="$(mktemp)"
results="$(mktemp -d)"
trap 'rm -rf "$log" "$results"' EXIT
status=0
# --blame names the test that was running if a test host process crashes (no dump is taken).
dotnet test MasterMcp.sln -c "$configuration" --no-build -m:1 --logger "console;verbosity=normal" \
  --logger trx --results-directory "$results" --blame "$@" 2>&1 | tee "$log" || status=$?
[ "$status" -eq 0 ] && exit 0

failed=()
# An aborted run (a crashed test host) left tests unrun: it is never passed by running again what failed before.
if [ "${NO_RERUN:-0}" != 1 ] && ! grep -q "Test Run Aborted" "$log" && command -v python3 >/dev/null 2>&1; then
  mapfile -t failed < <(python3 scripts/failed-tests.py "$results" || true)
fi
rerun=1
if [ "${#failed[@]}" -ge 1 ] && [ "${#failed[@]}" -le 5 ]; then
  rerun=0
  for entry in "${failed[@]}"; do
    echo
    echo "=== running again, alone: ${entry#*$'\t'} ==="
    dotnet test "${entry%%$'\t'*}" --filter "FullyQualifiedName=${entry#*$'\t'}" \
      --logger "console;verbosity=normal" || rerun=1
  done
fi

echo
echo "=== dotnet test failed (exit $status); the first run's failures, again: ==="
# xUnit's own [FAIL] lines name a failed test even when its host crashed before the result was reported.
awk '/\[FAIL\]$/ { print; x = 4; next }
     x > 0 && /^\[xUnit\.net [^]]*\]      / { print; x--; next }
     { x = 0 }
     /^[[:space:]]+Failed [^ ]|^Unhandled exception|running when the crash occurred/ { keep = 1; n = 0 }
     /^[[:space:]]+(Passed|Skipped) [^ ]/ { keep = 0 }
     keep && n < 30 { print; n++; next }
     /Test Run Aborted|aborted|Total tests:|Failed:/ { print }' "$log" | tail -n 90
if [ "$rerun" -eq 0 ]; then
  echo
  echo "=== FLAKY: these failed in the full run but passed when run again alone: ==="
  printf '  %s\n' "${failed[@]#*$'\t'}"
  exit 0
fi
if [ "${#failed[@]}" -ge 1 ] && [ "${#failed[@]}" -le 5 ]; then
  echo "=== still failing when run again alone: the run fails ==="
fi
exit "$status"
