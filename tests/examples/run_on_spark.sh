#!/usr/bin/env bash
# Runs an example on the run's Spark Connect server ($LAKE_SPARK_CONNECT_DIR,
# the spark_connect fixture), twice on one fresh data directory, like
# run_twice.sh does on the embedded engine.
#
#   run_on_spark.sh spark EXAMPLE        SPARK_REMOTE names the server
#   run_on_spark.sh databricks EXAMPLE   the DATABRICKS_* variables name it as
#       a workspace (http:// on loopback: the local server has no TLS), with
#       OAuth machine-to-machine tokens from a local token endpoint
#       (oauth_token_endpoint.py), which must have granted one per run
#
# Fails when a run fails, or when the server's token or the client secret
# shows up in what the example printed.
set -euo pipefail
mode=${1:?spark|databricks} example=${2:?example binary}
here=$(cd "$(dirname "$0")" && pwd)
env_file=${LAKE_SPARK_CONNECT_DIR:?the spark_connect fixture sets LAKE_SPARK_CONNECT_DIR}/env
[[ -f $env_file ]] || { echo "no Spark Connect server: $env_file is missing" >&2; exit 1; }
url=$(sed -n 's/^LAKE_SPARK_CONNECT_URL=//p' "$env_file")
token=$(sed -n 's/^LAKE_SPARK_CONNECT_TOKEN=//p' "$env_file")
dir=$(mktemp -d)
endpoint_pid=
cleanup() {
  [[ -n $endpoint_pid ]] && kill "$endpoint_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
secret=

case $mode in
  spark) export SPARK_REMOTE=$url ;;
  databricks)
    secret=$(python3 -c 'import secrets; print("s/" + secrets.token_hex(12))')
    mkfifo "$dir/port"
    LAKE_TEST_CLIENT_ID=sp-lake-example LAKE_TEST_CLIENT_SECRET=$secret LAKE_TEST_ACCESS_TOKEN=$token \
      python3 "$here/oauth_token_endpoint.py" "$dir/grants" >"$dir/port" &
    endpoint_pid=$!
    read -r token_port <"$dir/port"
    spark_port=${url#sc://*:}
    spark_port=${spark_port%%/*}
    export DATABRICKS_HOST=http://127.0.0.1:$spark_port DATABRICKS_CLUSTER_ID=0123-456789-lakeorm \
      DATABRICKS_CLIENT_ID=sp-lake-example DATABRICKS_CLIENT_SECRET=$secret \
      DATABRICKS_OAUTH_TOKEN_URL=http://127.0.0.1:$token_port/oidc/v1/token
    unset DATABRICKS_TOKEN
    ;;
  *) echo "unknown mode '$mode'" >&2; exit 2 ;;
esac

mkdir -p "$dir/data"
for run in first second; do
  echo "== $run run"
  "$example" "$dir/data" 2>&1 | tee -a "$dir/output"
  [[ ${PIPESTATUS[0]} == 0 ]] || exit 1
done

if grep -qF -- "$token" "$dir/output" || { [[ -n $secret ]] && grep -qF -- "$secret" "$dir/output"; }; then
  echo "the example printed a secret" >&2
  exit 1
fi
if [[ $mode == databricks ]]; then
  grants=$(cat "$dir/grants" 2>/dev/null || echo 0)
  echo "== the token endpoint granted $grants token(s)"
  (( grants >= 2 )) || { echo "expected a token per run" >&2; exit 1; }
fi
