#!/usr/bin/env bash
# Runs every test: installs the Node tools the tests use into tools/node_modules, then runs the .NET test suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ ! -d tools/node_modules ] || [ tools/package.json -nt tools/node_modules/.installed ]; then
  echo "Installing test tools (npm) into tools/node_modules"
  (cd tools && npm install --no-audit --no-fund --loglevel=error && touch node_modules/.installed)
fi

dotnet test MasterMcp.sln -c "${CONFIGURATION:-Release}" --logger "console;verbosity=normal" "$@"
