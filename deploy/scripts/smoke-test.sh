#!/usr/bin/env bash
# Smoke test of a deployed gateway: GET /health answers 200 {"ok":true}, an unauthenticated POST /mcp answers 401
# with a `WWW-Authenticate: Bearer resource_metadata="..."` challenge, and that metadata URL serves the RFC 9728
# document (its `resource` and `authorization_servers`), as clients will fetch it next.
# Usage: smoke-test.sh BASE_URL
#   ORIGIN_SECRET (optional): sent as X-Origin-Secret, for testing an origin directly behind the Cloudflare Worker.
#   SMOKE_ATTEMPTS [30], SMOKE_DELAY_SECONDS [10]: /health is retried while a fresh deployment starts.
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
