#!/usr/bin/env bash
# Proves the Grafana dashboards and alert rules against a real Prometheus:
#   1. promtool checks the configuration and rules and runs the alert unit
#      tests (grafana/alerts_test.yml);
#   2. starts wabot (on PostgreSQL) and a Prometheus scraping it every
#      second with grafana/alerts.yml loaded, and puts load on wabot with
#      wabot-load and its WAHA simulator;
#   3. evaluates every PromQL expression of every dashboard panel and rule
#      through Prometheus's HTTP API (scripts/promql_proof.py) and fails if
#      any errors or returns no data.
#
# Needs TEST_POSTGRES_URL (an admin URL; ./scripts/test.sh sets it) and
# installs Prometheus from Debian's packages where it is missing.
# Everything listens on 127.0.0.1 and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/common.sh
. scripts/common.sh

[ -n "${TEST_POSTGRES_URL:-}" ] || die "TEST_POSTGRES_URL is not set (run ./scripts/test.sh)"
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  log "installing Prometheus from Debian's packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

log "promtool: configuration, rules and alert unit tests"
promtool check config grafana/prometheus.yml
promtool check rules grafana/alerts.yml
promtool test rules grafana/alerts_test.yml

log "building wabot, waha-sim and wabot-load"
cargo build --locked --quiet --bin wabot --bin waha-sim --bin wabot-load

work=$(mktemp -d "${TMPDIR:-/tmp}/wabot-prometheus-proof.XXXXXX")
database=wabot_proof_$(date +%s)_$$
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$TEST_POSTGRES_URL" -qc "drop database if exists $database" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

psql "$TEST_POSTGRES_URL" -qc "create database $database" >/dev/null
wabot_port=$(free_port)
prometheus_port=$(free_port)
waha_port=$(free_port)
token=proof-$RANDOM$RANDOM
wabot_url=http://127.0.0.1:$wabot_port
prometheus_url=http://127.0.0.1:$prometheus_port

log "starting wabot on $wabot_url"
WABOT_SERVER__LISTEN=127.0.0.1:$wabot_port \
WABOT_DATABASE__URL=${TEST_POSTGRES_URL%/*}/$database \
WABOT_OPERATOR__TOKEN=$token \
WABOT_SECRETS__KEY_FILE=$work/secrets.key \
WABOT_METRICS__SAMPLE_INTERVAL_SECS=1 \
WABOT_MEDIA__DIR=$work/media \
WABOT_LOG__LEVEL=warn \
WABOT_WAHA__TYPING_MS_PER_CHAR=0 \
WABOT_WAHA__MESSAGES_PER_SECOND=1000 \
WABOT_WAHA__BURST=1000 \
WABOT_LIMITS__CUSTOMER_MESSAGES_PER_MINUTE=100000 \
  target/debug/wabot serve > "$work/wabot.log" 2>&1 &
pids+=($!)
wait_for 60 curl -fsS "$wabot_url/readyz" || { cat "$work/wabot.log"; die "wabot did not become ready"; }

# A WAHA (the simulator) that stays up until the end, so the sampled
# instance gauges always have an instance to report once wabot-load and its
# own simulator are gone. It is registered after the load, so no load
# session is placed on it.
log "starting waha-sim on 127.0.0.1:$waha_port"
target/debug/waha-sim --listen "127.0.0.1:$waha_port" --api-key proof-key > "$work/waha.log" 2>&1 &
pids+=($!)
wait_for 30 curl -fsS -H 'X-Api-Key: proof-key' "http://127.0.0.1:$waha_port/api/sessions" ||
  { cat "$work/waha.log"; die "waha-sim did not start"; }

log "starting Prometheus on $prometheus_url"
cp grafana/alerts.yml "$work/alerts.yml"
cat > "$work/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [alerts.yml]
scrape_configs:
  - job_name: wabot
    static_configs: [{targets: ["127.0.0.1:$wabot_port"]}]
YAML
promtool check config "$work/prometheus.yml" >/dev/null
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prometheus_port" > "$work/prometheus.log" 2>&1 &
pids+=($!)
wait_for 60 curl -fsS "$prometheus_url/-/ready" || { cat "$work/prometheus.log"; die "Prometheus did not start"; }
scraped() { curl -fsS "$prometheus_url/api/v1/query?query=up" | grep -q '"value":\[[0-9.]*,"1"\]'; }
wait_for 60 scraped || die "Prometheus does not scrape wabot"

log "load: wabot-load --scenario ordering against $wabot_url"
target/debug/wabot-load --server "$wabot_url" --operator-token "$token" \
  --scenario ordering --tenants 2 --customers 25 --out "$work/results" | tail -n 5

# wabot-load's simulator is gone now; the standing one keeps the instance
# gauges reported.
curl -fsS -X POST "$wabot_url/v1/operator/waha-instances" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' \
  -d "{\"name\": \"waha-proof\", \"base_url\": \"http://127.0.0.1:$waha_port\", \"api_key\": \"proof-key\", \"capacity\": 10}" >/dev/null

# A few more scrapes and rule evaluations after the load, so every rate
# window holds the traffic and every rule has been evaluated; and at least
# one sampler round of the standing WAHA instance scraped.
sleep 5
has_sessions() { curl -fsS "$prometheus_url/api/v1/query?query=wabot_waha_sessions%7Bwaha_instance%3D%22waha-proof%22%7D" | grep -q '"waha_instance":"waha-proof"'; }
wait_for 30 has_sessions || die "the sampler never reported the standing WAHA instance"
log "evaluating every dashboard and rule expression"
python3 scripts/promql_proof.py "$prometheus_url" grafana/dashboards/*.json
