#!/usr/bin/env bash
# The gateway's own cost, direct vs through the gateway in one run (issue 15): builds Release, installs
# dotnet-counters/dotnet-trace under bench/.tools (git-ignored) and runs bench/Perf. See bench/README.md.
#   bench/perf.sh            full mode (about 8 minutes on 2 cores): median of 3 runs of 4 s per cell
#   bench/perf.sh --quick    a few seconds per measurement, one run each (development)
#   bench/perf.sh --profile  also a CPU sample of the gateway (.nettrace + top methods by exclusive samples)
#   --out DIR (default bench/results), --only startup,anonymous,counters,auth
#   BENCH_SKIP_BUILD=1 reuses the existing Release build.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tools="$root/bench/.tools"
for tool in dotnet-counters dotnet-trace; do
  if [[ ! -x "$tools/$tool" ]]; then
    dotnet tool install "$tool" --version 10.0.750501 --tool-path "$tools" > /dev/null
  fi
done
if [[ ! -x tools/node_modules/.bin/azurite-table ]]; then
  echo "Azurite is missing: run 'cd tools && npm ci' first" >&2
  exit 1
fi
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  log="$(mktemp)"
  for project in src/Functions bench/EchoServer bench/Perf; do
    dotnet build -c Release "$project" > "$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; exit 1; }
  done
  rm -f "$log"
fi
exec dotnet bench/Perf/bin/Release/net10.0/Perf.dll "$@"
