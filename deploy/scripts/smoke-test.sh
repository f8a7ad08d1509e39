#!/usr/bin/env bash
# Smoke test of a deployed gateway:
#   - GET /health answers 200 {"ok":true} (the process is up);
#   - GET /ready answers 200 {"status":"ready"}: configuration loaded, storage reachable, required backends connected,
#     Redis reachable when configured (a deployment with broken storage or backends is live but not ready);
#   - an unauthenticated POST /mcp answers 401 with a `WWW-Authenticate: Bearer resource_metadata="..."` challenge, and
#     that metadata URL serves the RFC 9728 document (its `resource` and `authorization_servers`), as clients fetch it;
#   - GET /capabilities: with SMOKE_TOKEN, 200 with the backends list and no backend in state "failed"; without a
#     token, 401 (the catalog is not public; 200 only where authentication is off).
# Usage: smoke-test.sh BASE_URL
#   ORIGIN_SECRET (optional): sent as X-Origin-Secret, for testing an origin directly behind the Cloudflare Worker.
#   SMOKE_TOKEN (optional): an access token the gateway accepts, sent to /capabilities only.
#   SMOKE_ATTEMPTS [30], SMOKE_DELAY_SECONDS [10]: /health and /ready are retried while a fresh deployment starts.
set -euo pipefail

base_url="${1:?usage: smoke-test.sh BASE_URL}"
base_url="${base_url%/}"
attempts="${SMOKE_ATTEMPTS:-30}"
delay="${SMOKE_DELAY_SECONDS:-10}"

headers=()
if [[ -n "${ORIGIN_SECRET:-}" ]]; then
  headers+=(-H "X-Origin-Secret: $ORIGIN_SECRET")
fi

body_file="$(mktemp)"
header_file="$(mktemp)"
trap 'rm -f "$body_file" "$header_file"' EXIT

status=""
for ((i = 1; i <= attempts; i++)); do
  status="$(curl -sS -o "$body_file" -w '%{http_code}' --max-time 20 "${headers[@]}" "$base_url/health" || true)"
  if [[ "$status" == "200" ]]; then
    break
  fi
  echo "GET $base_url/health -> ${status:-no answer} (attempt $i of $attempts)"
  sleep "$delay"
done
if [[ "$status" != "200" ]]; then
  echo "FAIL: GET $base_url/health answered ${status:-nothing}, expected 200" >&2
  exit 1
fi
if ! tr -d ' \n\r\t' < "$body_file" | grep -q '"ok":true'; then
  echo "FAIL: GET $base_url/health body is not {\"ok\":true}: $(head -c 300 "$body_file")" >&2
  exit 1
fi
echo "ok: GET /health -> 200"

# Readiness can lag behind liveness (backends connecting, storage or Redis coming up): retry it the same way.
for ((i = 1; i <= attempts; i++)); do
  status="$(curl -sS -o "$body_file" -w '%{http_code}' --max-time 20 "${headers[@]}" "$base_url/ready" || true)"
  if [[ "$status" == "200" ]]; then
    break
  fi
  echo "GET $base_url/ready -> ${status:-no answer}: $(head -c 300 "$body_file") (attempt $i of $attempts)"
  if ((i < attempts)); then
    sleep "$delay"
  fi
done
if [[ "$status" != "200" ]]; then
  echo "FAIL: GET $base_url/ready answered ${status:-nothing}, expected 200: $(head -c 500 "$body_file")" >&2
  exit 1
fi
if ! tr -d ' \n\r\t' < "$body_file" | grep -q '"status":"ready"'; then
  echo "FAIL: GET $base_url/ready body does not say \"status\":\"ready\": $(head -c 300 "$body_file")" >&2
  exit 1
fi
echo "ok: GET /ready -> 200"

status="$(curl -sS -o "$body_file" -D "$header_file" -w '%{http_code}' --max-time 20 "${headers[@]}" \
  -X POST "$base_url/mcp" \
  -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' \
  --data '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"smoke-test","version":"1"}}}' \
  || true)"
if [[ "$status" != "401" ]]; then
  echo "FAIL: unauthenticated POST $base_url/mcp answered ${status:-nothing}, expected 401" >&2
  exit 1
fi
challenge="$(grep -i '^www-authenticate:' "$header_file" | head -n 1 | tr -d '\r' || true)"
if [[ "$challenge" != *Bearer* || "$challenge" != *resource_metadata=* ]]; then
  echo "FAIL: 401 without a Bearer resource_metadata challenge (got '${challenge:-no WWW-Authenticate}')" >&2
  exit 1
fi
echo "ok: POST /mcp -> 401 ($challenge)"

metadata_url="$(sed -n 's/.*resource_metadata="\([^"]*\)".*/\1/p' <<< "$challenge")"
if [[ -z "$metadata_url" ]]; then
  echo "FAIL: the challenge's resource_metadata is not a quoted URL: '$challenge'" >&2
  exit 1
fi
# The origin secret goes only to the origin under test, never to another host the challenge names.
metadata_headers=()
if [[ "$metadata_url" == "$base_url"/* ]]; then
  metadata_headers=("${headers[@]}")
fi
status="$(curl -sS -o "$body_file" -w '%{http_code}' --max-time 20 "${metadata_headers[@]}" "$metadata_url" || true)"
if [[ "$status" != "200" ]]; then
  echo "FAIL: GET $metadata_url (the challenge's resource metadata) answered ${status:-nothing}, expected 200" >&2
  exit 1
fi
metadata="$(tr -d ' \n\r\t' < "$body_file")"
if [[ "$metadata" != *'"resource":"'* || "$metadata" != *'"authorization_servers":["'* ]]; then
  echo "FAIL: $metadata_url lacks resource or authorization_servers: $(head -c 300 "$body_file")" >&2
  exit 1
fi
echo "ok: GET $metadata_url -> 200 (resource and authorization_servers present)"

capabilities_headers=("${headers[@]}")
if [[ -n "${SMOKE_TOKEN:-}" ]]; then
  capabilities_headers+=(-H "Authorization: Bearer $SMOKE_TOKEN")
fi
status="$(curl -sS -o "$body_file" -w '%{http_code}' --max-time 20 "${capabilities_headers[@]}" "$base_url/capabilities" || true)"
if [[ "$status" == "401" && -z "${SMOKE_TOKEN:-}" ]]; then
  echo "ok: GET /capabilities -> 401 without a token (set SMOKE_TOKEN to check the backends)"
  exit 0
fi
if [[ "$status" != "200" ]]; then
  echo "FAIL: GET $base_url/capabilities answered ${status:-nothing}, expected 200$([[ -z "${SMOKE_TOKEN:-}" ]] && echo ' (or 401 without SMOKE_TOKEN)')" >&2
  exit 1
fi
capabilities="$(tr -d ' \n\r\t' < "$body_file")"
if [[ "$capabilities" != *'"backends":['* ]]; then
  echo "FAIL: GET $base_url/capabilities lacks the backends list: $(head -c 300 "$body_file")" >&2
  exit 1
fi
if [[ "$capabilities" == *'"state":"failed"'* ]]; then
  echo "FAIL: GET $base_url/capabilities lists a failed backend: $(grep -o '"id":"[^"]*"[^{}]*"state":"failed"' <<< "$capabilities" | head -n 5)" >&2
  exit 1
fi
echo "ok: GET /capabilities -> 200 (no failed backend)"
