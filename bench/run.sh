#!/usr/bin/env bash
# Measures the standalone gateway (the Kestrel host of the same build as the Functions app) for container sizing:
# RSS at idle and under load (gateway and its stdio child processes separately), calls/s and latency through the
# gateway, and the same calls straight to the backend as a baseline. See bench/README.md.
#   BENCH_CLIENTS [20]  BENCH_SECONDS [30]  BENCH_CONFIGURATION [Release]  BENCH_SKIP_BUILD [0]
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
clients="${BENCH_CLIENTS:-20}"
seconds="${BENCH_SECONDS:-30}"
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

# RSS in MiB of one process (VmRSS from /proc).
# A process that just exited (or a zombie, which has no VmRSS line) counts as 0.
rss() {
  local kib
  kib="$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2> /dev/null || true)"
  echo $(((${kib:-0} + 512) / 1024))
}

# "gateway_MiB children_count children_MiB" for the gateway and its direct child processes (stdio backends).
footprint() {
  local total=0 count=0 child
  for child in $(pgrep -P "$1" || true); do
    total=$((total + $(rss "$child")))
    count=$((count + 1))
  done
  echo "$(rss "$1") $count $total"
}

# Samples footprint every second until the file "$2" exists; keeps the peak of each column in "$3".
sample_peak() {
  local pid="$1" stop="$2" out="$3" g=0 n=0 c=0 line
  while [[ ! -e "$stop" ]]; do
    read -r -a line <<< "$(footprint "$pid")"
    (( line[0] > g )) && g="${line[0]}"
    (( line[1] > n )) && n="${line[1]}"
    (( line[2] > c )) && c="${line[2]}"
    sleep 1
  done
  echo "$g $n $c" > "$out"
}

backend_port="$(free_port)"
gateway_port="$(free_port)"

# HTTP backend: the sample MCP server over Streamable HTTP.
dotnet "$sample_dll" --urls "http://127.0.0.1:$backend_port" --name http > "$work/backend.log" 2>&1 &
backend_pid=$!
pids+=("$backend_pid")

# The gateway: Development (authentication off on loopback, in-memory storage), logging at warning so request logs
# do not dominate, one stdio backend (a process per client session) and the HTTP backend.
cat > "$work/gateway.json" <<JSON
{
  "hosting": { "host": "127.0.0.1", "port": $gateway_port, "base_url": "http://127.0.0.1:$gateway_port" },
  "logging": { "level": "warning", "format": "plain" },
  "storage": { "provider": "memory" },
  "sessions": { "max_stdio_processes": 64 },
  "servers": [
    { "id": "stdio", "command": "dotnet", "args": ["$sample_dll", "--stdio", "--name", "stdio"] },
    { "id": "http", "url": "http://127.0.0.1:$backend_port/mcp", "required": true }
  ]
}
JSON
MASTER_ENV=Development dotnet "$gateway_dll" --config "$work/gateway.json" > "$work/gateway.log" 2>&1 &
gateway_pid=$!
pids+=("$gateway_pid")

for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$gateway_port/ready" 2> /dev/null; then
    break
  fi
  sleep 0.5
done
curl -fsS -o /dev/null "http://127.0.0.1:$gateway_port/ready" || { echo "gateway not ready" >&2; cat "$work/gateway.log" >&2; exit 1; }
sleep 5

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $configuration build, $clients clients, ${seconds}s per run"
read -r -a idle <<< "$(footprint "$gateway_pid")"
echo "idle: gateway ${idle[0]} MiB RSS, ${idle[1]} stdio child(ren) ${idle[2]} MiB; HTTP backend $(rss "$backend_pid") MiB"

probe() {
  dotnet "$probe_dll" --clients "$clients" --seconds "$seconds" --warmup 3 "$@"
}

# Baseline: the same calls straight to the HTTP backend.
echo "baseline (direct to backend): $(probe --label direct --url "http://127.0.0.1:$backend_port/mcp" --tool echo)"

run_through_gateway() {
  local label="$1" tool="$2" stop="$work/stop-$1" peak="$work/peak-$1"
  sample_peak "$gateway_pid" "$stop" "$peak" &
  local sampler=$!
  local result
  result="$(probe --label "$label" --url "http://127.0.0.1:$gateway_port/mcp" --tool "$tool")"
  touch "$stop"
  wait "$sampler"
  read -r -a p < "$peak"
  echo "$label: $result"
  echo "$label peak: gateway ${p[0]} MiB RSS, ${p[1]} stdio child(ren) ${p[2]} MiB"
}
run_through_gateway gateway-http http__echo
run_through_gateway gateway-stdio stdio__echo

sleep 5
read -r -a after <<< "$(footprint "$gateway_pid")"
echo "after load: gateway ${after[0]} MiB RSS, ${after[1]} stdio child(ren) ${after[2]} MiB"

if command -v wrk > /dev/null; then
  echo "wrk /health (4 threads, 64 connections, 10s):"
  wrk -t4 -c64 -d10s --latency "http://127.0.0.1:$gateway_port/health" | grep -E 'Requests/sec|50%|99%'
  echo "after wrk: gateway $(rss "$gateway_pid") MiB RSS"
fi
