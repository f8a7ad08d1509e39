#!/usr/bin/env bash
# Rolls the gateway image out to Koyeb with the `koyeb` CLI: creates the app and service when they do not exist,
# otherwise updates the service (a rolling deployment). Used by .github/workflows/deploy.yml; runnable by hand.
#
# Required environment:
#   KOYEB_TOKEN     API token (read by the CLI itself)
#   KOYEB_APP       Koyeb app name, e.g. master-mcp
#   KOYEB_SERVICE   service name, e.g. gateway-staging
#   IMAGE           image reference, e.g. ghcr.io/OWNER/master-mcp:1.2.3 (or @sha256:...)
#   BASE_URL        public URL clients use (https, no path), e.g. https://master-mcp-myorg.koyeb.app or the Worker's
#                   URL; becomes MASTER_BASE_URL (hosting.base_url: token audience and OAuth metadata URLs)
# Client authentication (the image runs in Production, which refuses to start without it):
#   AUTH_MODE [jwt]  jwt or gateway
#   jwt:      AUTH_JWT_ISSUER (required), AUTH_JWT_AUDIENCE, AUTH_BROWSER_LOGIN_CLIENT_ID (optional; its secret
#             comes from the Koyeb secret KOYEB_BROWSER_LOGIN_SECRET [master-browser-login-client-secret])
#   gateway:  AUTH_UPSTREAM_PRESET [oidc], AUTH_UPSTREAM_ISSUER (required with oidc), AUTH_UPSTREAM_CLIENT_ID
#             (required); the Koyeb secrets KOYEB_UPSTREAM_SECRET [master-upstream-client-secret] and
#             KOYEB_SIGNING_KEY_SECRET [master-auth-signing-key] (PEM or private JWK) hold the two secrets
#   Plain values are passed as plain variables; secrets only as {{secret.NAME}} references.
# Optional environment (defaults in brackets):
#   KOYEB_PORT [8080]  KOYEB_INSTANCE_TYPE [small]  KOYEB_REGIONS ["fra"] (space-separated)
#   KOYEB_MIN_SCALE [1]  KOYEB_MAX_SCALE [1]
#     One instance: server->client requests (sampling, elicitation, roots), GET streams and per-client backend
#     sessions live in the instance that opened them, and a balancer without affinity sends the next request
#     elsewhere. More than one instance is refused unless Redis (the scale-out message bus) is configured:
#     MASTER_REDIS or MASTER__scaleout__redis in KOYEB_SECRET_ENV (or KOYEB_ENV). With Redis, KOYEB_MIN_SCALE=2
#     keeps a second instance serving during restarts and rolling deployments. See deploy/README.md.
#   KOYEB_AUTOSCALING_CONCURRENT_REQUESTS [50]  KOYEB_AUTOSCALING_AVERAGE_CPU [80]
#   KOYEB_HEALTH_GRACE_SECONDS [60]  (the Functions host needs a while to start)
#   KOYEB_HEALTH_INTERVAL_SECONDS [10]  KOYEB_HEALTH_TIMEOUT_SECONDS [3]  (GET /health; the same as the image's
#     HEALTHCHECK). The koyeb CLI cannot set these two, so the script sets them through the Koyeb API (curl, jq;
#     KOYEB_API_URL [https://app.koyeb.com]) after the rollout; the CLI keeps them on later updates, so only the
#     first run (or a change of the values) starts one more rolling deployment, which the script waits for
#     (KOYEB_CHECKS_WAIT_SECONDS [600], polling every KOYEB_POLL_SECONDS [5]).
#   KOYEB_REGISTRY_SECRET  Koyeb secret holding the registry credentials of a private image
#   APP_VERSION            passed to the service as APP_VERSION
#   KOYEB_ENV              extra plain variables, one KEY=VALUE per line
#   KOYEB_SECRET_ENV       variables taken from Koyeb secrets, one KEY=SECRET_NAME per line; default:
#                            TOKEN_ENC_KEY=master-token-enc-key
#                            MASTER__security__origin_secret=master-origin-secret
#                            AzureWebJobsStorage=master-azurewebjobsstorage
#                          It must name TOKEN_ENC_KEY (required outside Development).
#   KOYEB_WAIT_TIMEOUT [10m]
set -euo pipefail

: "${KOYEB_APP:?KOYEB_APP is required}"
: "${KOYEB_SERVICE:?KOYEB_SERVICE is required}"
: "${IMAGE:?IMAGE is required}"
: "${BASE_URL:?BASE_URL is required: the public https URL clients use (MASTER_BASE_URL)}"

fail() {
  echo "deploy.sh: $*" >&2
  exit 64
}

if [[ ! "$BASE_URL" =~ ^https://[^/]+/?$ ]]; then
  fail "BASE_URL '$BASE_URL' must be https://host with no path (OAuth metadata lives at the host's /.well-known/)"
fi

port="${KOYEB_PORT:-8080}"
check_interval="${KOYEB_HEALTH_INTERVAL_SECONDS:-10}"
check_timeout="${KOYEB_HEALTH_TIMEOUT_SECONDS:-3}"
if [[ ! "$check_interval" =~ ^[1-9][0-9]*$ || ! "$check_timeout" =~ ^[1-9][0-9]*$ ]] || (( check_timeout >= check_interval )); then
  fail "KOYEB_HEALTH_INTERVAL_SECONDS ($check_interval) and KOYEB_HEALTH_TIMEOUT_SECONDS ($check_timeout) must be whole seconds, the timeout below the interval"
fi
command -v jq > /dev/null 2>&1 || fail "jq is required (it edits the service definition to set the health check timing)"
min_scale="${KOYEB_MIN_SCALE:-1}"
max_scale="${KOYEB_MAX_SCALE:-1}"
default_secret_env='TOKEN_ENC_KEY=master-token-enc-key
MASTER__security__origin_secret=master-origin-secret
AzureWebJobsStorage=master-azurewebjobsstorage'
secret_env="${KOYEB_SECRET_ENV-$default_secret_env}"

if (( min_scale > max_scale )); then
  fail "KOYEB_MIN_SCALE ($min_scale) is above KOYEB_MAX_SCALE ($max_scale)"
fi

# Redis counts as configured when the service gets MASTER_REDIS or MASTER__scaleout__redis with a value.
redis_configured=0
while IFS= read -r line; do
  if [[ "$line" =~ ^(MASTER_REDIS|MASTER__scaleout__redis)=.+ ]]; then
    redis_configured=1
  fi
done <<< "$secret_env
${KOYEB_ENV:-}"
if (( max_scale > 1 && redis_configured == 0 )); then
  fail "KOYEB_MAX_SCALE=$max_scale needs Redis: interactive MCP (sampling, elicitation, roots, GET streams) lives in one instance until the scale-out bus connects them; set MASTER_REDIS (or MASTER__scaleout__redis) in KOYEB_SECRET_ENV, or keep KOYEB_MAX_SCALE=1 (deploy/README.md, Instances)"
fi

# Client authentication: plain settings as variables, secrets as Koyeb secret references.
auth_mode="${AUTH_MODE:-jwt}"
auth_env=("MASTER_BASE_URL=${BASE_URL%/}" "MASTER__auth__mode=$auth_mode")
case "$auth_mode" in
  jwt)
    [[ -n "${AUTH_JWT_ISSUER:-}" ]] || fail "AUTH_JWT_ISSUER is required with AUTH_MODE=jwt"
    auth_env+=("MASTER__auth__jwt__issuer=$AUTH_JWT_ISSUER")
    if [[ -n "${AUTH_JWT_AUDIENCE:-}" ]]; then
      auth_env+=("MASTER__auth__jwt__audience=$AUTH_JWT_AUDIENCE")
    fi
    if [[ -n "${AUTH_BROWSER_LOGIN_CLIENT_ID:-}" ]]; then
      auth_env+=(
        "MASTER__auth__browser_login__client_id=$AUTH_BROWSER_LOGIN_CLIENT_ID"
        "MASTER__auth__browser_login__client_secret={{secret.${KOYEB_BROWSER_LOGIN_SECRET:-master-browser-login-client-secret}}}"
      )
    fi
    ;;
  gateway)
    preset="${AUTH_UPSTREAM_PRESET:-oidc}"
    [[ -n "${AUTH_UPSTREAM_CLIENT_ID:-}" ]] || fail "AUTH_UPSTREAM_CLIENT_ID is required with AUTH_MODE=gateway"
    auth_env+=("MASTER__auth__upstream__preset=$preset" "MASTER__auth__upstream__client_id=$AUTH_UPSTREAM_CLIENT_ID")
    if [[ "$preset" == oidc ]]; then
      [[ -n "${AUTH_UPSTREAM_ISSUER:-}" ]] || fail "AUTH_UPSTREAM_ISSUER is required with AUTH_MODE=gateway and preset oidc"
    fi
    if [[ -n "${AUTH_UPSTREAM_ISSUER:-}" ]]; then
      auth_env+=("MASTER__auth__upstream__issuer=$AUTH_UPSTREAM_ISSUER")
    fi
    auth_env+=(
      "MASTER__auth__upstream__client_secret={{secret.${KOYEB_UPSTREAM_SECRET:-master-upstream-client-secret}}}"
      "MASTER__auth__signing_key={{secret.${KOYEB_SIGNING_KEY_SECRET:-master-auth-signing-key}}}"
    )
    ;;
  *)
    fail "AUTH_MODE '$auth_mode' is not jwt or gateway (the container runs in Production, which refuses to start without authentication)"
    ;;
esac

secret_flags=()
token_key_set=0
while IFS= read -r line; do
  [[ -z "$line" ]] && continue
  if [[ "$line" != *=* ]]; then
    fail "KOYEB_SECRET_ENV line '$line' is not KEY=SECRET_NAME"
  fi
  [[ "${line%%=*}" == TOKEN_ENC_KEY ]] && token_key_set=1
  secret_flags+=(--env "${line%%=*}={{secret.${line#*=}}}")
done <<< "$secret_env"
if (( token_key_set == 0 )); then
  fail "KOYEB_SECRET_ENV must set TOKEN_ENC_KEY from a Koyeb secret: the gateway refuses to start without it outside Development"
fi

# Flags shared by create and update: the whole desired state, so an update converges like a create.
flags=(
  --docker "$IMAGE"
  --instance-type "${KOYEB_INSTANCE_TYPE:-small}"
  --ports "$port:http"
  --routes "/:$port"
  --checks "$port:http:/health"
  --checks-grace-period "$port=${KOYEB_HEALTH_GRACE_SECONDS:-60}"
  --min-scale "$min_scale"
  --max-scale "$max_scale"
  --autoscaling-concurrent-requests "${KOYEB_AUTOSCALING_CONCURRENT_REQUESTS:-50}"
  --autoscaling-average-cpu "${KOYEB_AUTOSCALING_AVERAGE_CPU:-80}"
  --env "PORT=$port"
)
read -r -a regions <<< "${KOYEB_REGIONS:-fra}"
for region in "${regions[@]}"; do
  flags+=(--regions "$region")
done
if [[ -n "${KOYEB_REGISTRY_SECRET:-}" ]]; then
  flags+=(--docker-private-registry-secret "$KOYEB_REGISTRY_SECRET")
fi
if [[ -n "${APP_VERSION:-}" ]]; then
  flags+=(--env "APP_VERSION=$APP_VERSION")
fi
for setting in "${auth_env[@]}"; do
  flags+=(--env "$setting")
done
while IFS= read -r line; do
  [[ -z "$line" ]] && continue
  flags+=(--env "$line")
done <<< "${KOYEB_ENV:-}"
flags+=("${secret_flags[@]}")
flags+=(--wait --wait-timeout "${KOYEB_WAIT_TIMEOUT:-10m}")

if ! koyeb apps get "$KOYEB_APP" > /dev/null 2>&1; then
  echo "Creating Koyeb app $KOYEB_APP"
  koyeb apps create "$KOYEB_APP"
fi

if koyeb services get "$KOYEB_APP/$KOYEB_SERVICE" > /dev/null 2>&1; then
  echo "Updating Koyeb service $KOYEB_APP/$KOYEB_SERVICE to $IMAGE"
  koyeb services update "$KOYEB_APP/$KOYEB_SERVICE" "${flags[@]}"
else
  echo "Creating Koyeb service $KOYEB_APP/$KOYEB_SERVICE with $IMAGE"
  koyeb services create "$KOYEB_SERVICE" --app "$KOYEB_APP" --type web "${flags[@]}"
fi

# Health check interval and timeout: API only (the CLI's check flags are --checks and --checks-grace-period).
service_json="$(koyeb services get "$KOYEB_APP/$KOYEB_SERVICE" -o json)"
service_id="$(jq -er '.id' <<< "$service_json")"
deployment_id="$(jq -er '.latest_deployment_id' <<< "$service_json")"
definition="$(koyeb deployments get "$deployment_id" -o json | jq -ec '.definition')"
desired="$(jq -ec --argjson interval "$check_interval" --argjson timeout "$check_timeout" \
  '.health_checks |= map(.interval = $interval | .timeout = $timeout)' <<< "$definition")"
if [[ "$desired" == "$definition" ]]; then
  echo "Health checks already run every ${check_interval}s with a ${check_timeout}s timeout"
  exit 0
fi
: "${KOYEB_TOKEN:?KOYEB_TOKEN is required to set the health check timing through the Koyeb API}"
echo "Setting the health checks to every ${check_interval}s with a ${check_timeout}s timeout (one more rolling deployment)"
response="$(jq -nc --argjson definition "$desired" '{definition: $definition}' \
  | curl -sS --fail-with-body --max-time 60 -X PATCH "${KOYEB_API_URL:-https://app.koyeb.com}/v1/services/$service_id" \
      -H "Authorization: Bearer $KOYEB_TOKEN" -H 'Content-Type: application/json' --data-binary @-)"
new_deployment="$(jq -er '.service.latest_deployment_id' <<< "$response")"
deadline=$((SECONDS + ${KOYEB_CHECKS_WAIT_SECONDS:-600}))
while :; do
  status="$(koyeb deployments get "$new_deployment" -o json | jq -r '.status')"
  case "$status" in
    HEALTHY) echo "Deployment $new_deployment is healthy"; break ;;
    ERROR | ERRORING | CANCELED | CANCELING | STOPPED | STOPPING | UNHEALTHY)
      echo "deploy.sh: deployment $new_deployment (health check timing) ended $status" >&2; exit 1 ;;
  esac
  if (( SECONDS >= deadline )); then
    echo "deploy.sh: deployment $new_deployment (health check timing) is still $status" >&2
    exit 1
  fi
  sleep "${KOYEB_POLL_SECONDS:-5}"
done
