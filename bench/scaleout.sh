#!/usr/bin/env bash
# Cost of scale-out: the same tool call on a session whose requests land on its owner instance, and on one whose
# requests land on another instance that carries them to the owner over Redis (the round-robin case). Two gateways
# (Kestrel, Development, in-memory storage) share a real Redis on loopback; the backend is the sample server over HTTP.
# A direct-to-backend run is the baseline, all in one run. See bench/README.md.
#   BENCH_SECONDS [15]  BENCH_CONFIGURATION [Release]  BENCH_SKIP_BUILD [0]
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${BENCH_SECONDS:-15}"
configuration="${BENCH_CONFIGURATION:-Release}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2> /dev/null || true
  done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v redis-server > /dev/null || { echo "redis-server is needed (apt-get install redis-server)" >&2; exit 1; }
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  for project in src/Functions samples/SampleServer bench/LoadProbe; do
    dotnet build -c "$configuration" "$project" > "$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
  done
fi
gateway_dll="src/Functions/bin/$configuration/net10.0/MasterMcp.Functions.dll"
sample_dll="$root/samples/SampleServer/bin/$configuration/net10.0/SampleServer.dll"
probe_dll="bench/LoadProbe/bin/$configuration/net10.0/LoadProbe.dll"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

redis_port="$(free_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no > "$work/redis.log" 2>&1 &
pids+=("$!")

backend_port="$(free_port)"
dotnet "$sample_dll" --urls "http://127.0.0.1:$backend_port" --name http > "$work/backend.log" 2>&1 &
pids+=("$!")

start_gateway() {
  local name="$1" port="$2"
  cat > "$work/$name.json" <<JSON
{
  "hosting": { "host": "127.0.0.1", "port": $port },
  "logging": { "level": "warning", "format": "plain" },
  "storage": { "provider": "memory" },
  "scaleout": { "redis": "127.0.0.1:$redis_port" },
  "servers": [ { "id": "http", "url": "http://127.0.0.1:$backend_port/mcp", "required": true } ]
}
JSON
  MASTER_ENV=Development dotnet "$gateway_dll" --config "$work/$name.json" > "$work/$name.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/ready" 2> /dev/null && return 0
    sleep 0.5
  done
  echo "gateway $name not ready" >&2
  cat "$work/$name.log" >&2
  exit 1
}
owner_port="$(free_port)"
other_port="$(free_port)"
start_gateway owner "$owner_port"
start_gateway other "$other_port"
sleep 3

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $configuration build, ${seconds}s per run, redis $(redis-server --version | awk '{print $3}')"
probe() {
  dotnet "$probe_dll" --seconds "$seconds" --warmup 3 "$@"
}
for clients in 1 16; do
  echo "direct (backend), $clients client(s): $(probe --clients "$clients" --label direct --url "http://127.0.0.1:$backend_port/mcp" --tool echo)"
  echo "on owner, $clients client(s): $(probe --clients "$clients" --label owner --url "http://127.0.0.1:$owner_port/mcp" --tool http__echo)"
  echo "via other instance, $clients client(s): $(probe --clients "$clients" --label forwarded --url "http://127.0.0.1:$owner_port/mcp" --forward-url "http://127.0.0.1:$other_port/mcp" --tool http__echo)"
done
