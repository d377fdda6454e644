#!/usr/bin/env bash
# Fuzzes the whole HTTP API from its own OpenAPI document with schemathesis
# (examples, coverage, fuzzing and stateful phases), on SQLite and on
# PostgreSQL, once with a tenant's API key and once with the operator token,
# each run bounded by API_FUZZ_SECONDS (default 45). Fails on any 5xx, any
# status the document does not list for the operation, and any answer whose
# content type it does not list.
#
# The stateful phase may call anything but DELETE /v1/api-keys/{key_id}:
# the tenant run must not revoke the key it runs with. Request-rate limits
# are lifted: the fuzzer is one client sending thousands of requests, and
# the limits have tests of their own.
#
# Needs TEST_POSTGRES_URL (./scripts/test.sh sets it). Everything listens on
# 127.0.0.1 and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/common.sh
. scripts/common.sh

[ -n "${TEST_POSTGRES_URL:-}" ] || die "TEST_POSTGRES_URL is not set (run ./scripts/test.sh)"
seconds=${API_FUZZ_SECONDS:-45}
# A fixed seed makes a run repeatable: what it finds can be run again, and a
# run cannot fail one day and pass the next on generation luck. Set
# API_FUZZ_SEED to explore other inputs.
seed=${API_FUZZ_SEED:-20261206}
tools=$(./scripts/python-tools.sh fuzz)
cargo build --locked --quiet --bin wabot

work=$(mktemp -d "${TMPDIR:-/tmp}/wabot-api-fuzz.XXXXXX")
database=wabot_fuzz_$(date +%s)_$$
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  psql "$TEST_POSTGRES_URL" -qc "drop database if exists $database" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

operator_token=fuzz-operator-$RANDOM$RANDOM$RANDOM

# Starts wabot on the database URL $1 and signs a tenant up; sets $url and
# $tenant_key.
start_wabot() {
  local port; port=$(free_port)
  url=http://127.0.0.1:$port
  WABOT_SERVER__LISTEN=127.0.0.1:$port \
  WABOT_DATABASE__URL=$1 \
  WABOT_OPERATOR__TOKEN=$operator_token \
  WABOT_SECRETS__KEY_FILE=$work/secrets.key \
  WABOT_MEDIA__DIR=$work/media \
  WABOT_LOG__LEVEL=warn \
  WABOT_LIMITS__ADMIN_PER_CREDENTIAL_PER_MINUTE=10000000 \
  WABOT_LIMITS__ADMIN_PER_TENANT_PER_MINUTE=10000000 \
  WABOT_LIMITS__LOGIN_PER_ADDRESS_PER_MINUTE=10000000 \
  WABOT_LIMITS__LOGIN_PER_ACCOUNT_PER_MINUTE=10000000 \
  WABOT_LIMITS__SIGNUPS_PER_ADDRESS_PER_MINUTE=10000000 \
    target/debug/wabot serve >> "$work/wabot.log" 2>&1 &
  server=$!
  wait_for 60 curl -fsS "$url/readyz" || { cat "$work/wabot.log"; die "wabot did not become ready"; }
  tenant_key=$(curl -fsS -X POST "$url/v1/signup" -H 'Content-Type: application/json' \
    -d '{"email": "fuzz@example.com", "password": "correct horse battery",
         "business_name": "Fuzz Pizza", "business_type": "restaurant", "phone_number": "15550009999"}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["api_key"])')
}

stop_wabot() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=
}

# Runs schemathesis for `seconds` as the bearer $2, naming the run $1.
fuzz() {
  log "schemathesis: $1 ($seconds s)"
  "$tools/schemathesis" run "$url/openapi.json" \
    --header "Authorization: Bearer $2" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance \
    --exclude-path '/v1/api-keys/{key_id}' \
    --max-time "$seconds" --workers 2 --no-color --seed "$seed" \
    --suppress-health-check all > "$work/$1.txt" 2>&1 || {
      cat "$work/$1.txt"; tail -n 50 "$work/wabot.log"
      die "schemathesis found problems in the $1 run"
    }
  grep -E 'generated|passed|failures' "$work/$1.txt" | tail -n 2
}

psql "$TEST_POSTGRES_URL" -qc "create database $database" >/dev/null
for backend in sqlite postgres; do
  case $backend in
    sqlite) start_wabot "sqlite://$work/wabot.db" ;;
    postgres) start_wabot "${TEST_POSTGRES_URL%/*}/$database" ;;
  esac
  fuzz "$backend-tenant" "$tenant_key"
  fuzz "$backend-operator" "$operator_token"
  stop_wabot
done
log "API fuzzing: no server error, no undocumented status or content type"
