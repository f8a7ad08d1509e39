#!/bin/sh
# Container entrypoint of the gateway image: adapts the platform's environment, then runs the command.
#  - PORT (set by Koyeb and similar platforms) becomes the port the process listens on, for the Functions host
#    (ASPNETCORE_URLS) and for standalone Kestrel (MASTER_HOSTING_PORT). MASTER_HOSTING_PORT, when given, wins.
#    Default 8080, so the process never needs to bind a privileged port.
#  - LOG_FORMAT defaults to json when the environment is Production; an explicit LOG_FORMAT is kept.
# The command is the image's CMD (the Functions host) or whatever `docker run IMAGE ...` passes.
set -eu

port="${MASTER_HOSTING_PORT:-${PORT:-8080}}"
case "$port" in
  '' | *[!0-9]*)
    echo "entrypoint: port '$port' (from MASTER_HOSTING_PORT or PORT) is not a number" >&2
    exit 64
    ;;
esac
export MASTER_HOSTING_PORT="$port"
export ASPNETCORE_URLS="http://+:$port"

environment="${MASTER_ENV:-${AZURE_FUNCTIONS_ENVIRONMENT:-${DOTNET_ENVIRONMENT:-${ASPNETCORE_ENVIRONMENT:-Production}}}}"
if [ -z "${LOG_FORMAT:-}" ]; then
  case "$environment" in
    [Pp][Rr][Oo][Dd][Uu][Cc][Tt][Ii][Oo][Nn]) export LOG_FORMAT=json ;;
    *) ;;
  esac
fi

if [ "$#" -eq 0 ]; then
  set -- /opt/startup/start_nonappservice.sh
fi
exec "$@"
