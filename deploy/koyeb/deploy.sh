#!/usr/bin/env bash
# Rolls the gateway image out to Koyeb with the `koyeb` CLI: creates the app and service when they do not exist,
# otherwise updates the service (a rolling deployment). Used by .github/workflows/deploy.yml; runnable by hand.
#
# Required environment:
#   KOYEB_TOKEN     API token (read by the CLI itself)
#   KOYEB_APP       Koyeb app name, e.g. master-mcp
#   KOYEB_SERVICE   service name, e.g. gateway-staging
#   IMAGE           image reference, e.g. ghcr.io/OWNER/master-mcp:1.2.3 (or @sha256:...)
# Optional environment (defaults in brackets):
#   KOYEB_PORT [8080]  KOYEB_INSTANCE_TYPE [small]  KOYEB_REGIONS ["fra"] (space-separated)
#   KOYEB_MIN_SCALE [1]  KOYEB_MAX_SCALE [3]
#     Keep the minimum at 1 until sessions fully survive instance changes (pending server->client requests and
#     open SSE streams still live in one instance); raise it for availability once they do. A higher maximum is
#     safe for clients on stateless protocol versions.
#   KOYEB_AUTOSCALING_CONCURRENT_REQUESTS [50]  KOYEB_AUTOSCALING_AVERAGE_CPU [80]
#   KOYEB_HEALTH_GRACE_SECONDS [60]  (the Functions host needs a while to start)
#   KOYEB_REGISTRY_SECRET  Koyeb secret holding the registry credentials of a private image
#   APP_VERSION            passed to the service as APP_VERSION
#   KOYEB_ENV              extra plain variables, one KEY=VALUE per line
#   KOYEB_SECRET_ENV       variables taken from Koyeb secrets, one KEY=SECRET_NAME per line; default:
#                            TOKEN_ENC_KEY=master-token-enc-key
#                            MASTER__security__origin_secret=master-origin-secret
#                            AzureWebJobsStorage=master-azurewebjobsstorage
#   KOYEB_WAIT_TIMEOUT [10m]
set -euo pipefail

: "${KOYEB_APP:?KOYEB_APP is required}"
: "${KOYEB_SERVICE:?KOYEB_SERVICE is required}"
: "${IMAGE:?IMAGE is required}"

port="${KOYEB_PORT:-8080}"
min_scale="${KOYEB_MIN_SCALE:-1}"
max_scale="${KOYEB_MAX_SCALE:-3}"
default_secret_env='TOKEN_ENC_KEY=master-token-enc-key
MASTER__security__origin_secret=master-origin-secret
AzureWebJobsStorage=master-azurewebjobsstorage'
secret_env="${KOYEB_SECRET_ENV-$default_secret_env}"

if (( min_scale > max_scale )); then
  echo "deploy.sh: KOYEB_MIN_SCALE ($min_scale) is above KOYEB_MAX_SCALE ($max_scale)" >&2
  exit 64
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
while IFS= read -r line; do
  [[ -z "$line" ]] && continue
  flags+=(--env "$line")
done <<< "${KOYEB_ENV:-}"
while IFS= read -r line; do
  [[ -z "$line" ]] && continue
  if [[ "$line" != *=* ]]; then
    echo "deploy.sh: KOYEB_SECRET_ENV line '$line' is not KEY=SECRET_NAME" >&2
    exit 64
  fi
  flags+=(--env "${line%%=*}={{secret.${line#*=}}}")
done <<< "$secret_env"
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
