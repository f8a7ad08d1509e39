#!/usr/bin/env bash
# Runs the gateway locally with two real backends (the C# sample server and @modelcontextprotocol/server-everything),
# in Development, with in-memory storage. Needs the .NET 10 SDK and Node.js (for npx).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dotnet build MasterMcp.sln -c Debug --nologo -v quiet
export MASTER_ENV=Development
exec dotnet run --no-build --project src/Functions -- --config samples/demo.json "$@"
