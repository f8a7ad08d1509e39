#!/usr/bin/env bash
# Runs every test: installs the Node tools the tests use into tools/node_modules, then runs the .NET test suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ ! -d tools/node_modules ] || [ tools/package.json -nt tools/node_modules/.installed ]; then
  echo "Installing test tools (npm) into tools/node_modules"
  (cd tools && npm install --no-audit --no-fund --loglevel=error && touch node_modules/.installed)
fi

configuration="${CONFIGURATION:-Release}"
dotnet build MasterMcp.sln -c "$configuration" --nologo
# -m:1 runs the test projects one after the other: several tests start the built gateway and time their answers,
# and two test hosts competing for this machine's cores would make those timings meaningless.
dotnet test MasterMcp.sln -c "$configuration" --no-build -m:1 --logger "console;verbosity=normal" "$@"
