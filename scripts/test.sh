#!/usr/bin/env bash
# The whole wabot test suite, from a fresh clone:
#   1. makes sure PostgreSQL and Redis run on loopback (installs them from
#      Debian's packages and starts them where they are missing or stopped),
#   2. checks formatting and clippy (-D warnings),
#   3. runs every test (cargo nextest, or cargo test where nextest is absent),
#   4. validates the OpenAPI document and fuzzes the API from it with
#      schemathesis on both backends (scripts/api-fuzz.sh), lints and
#      validates the Dockerfile,
#      docker-compose.yml and Terraform (scripts/check-deploy.sh), and proves
#      the Grafana dashboards and alert rules on a real Prometheus
#      (scripts/prometheus-proof.sh).
#
# Uses TEST_POSTGRES_URL / TEST_REDIS_URL when set. Otherwise it uses the
# servers on 127.0.0.1:5432 and :6379 if they answer (PostgreSQL with trust
# auth for user postgres), starts the machine's own cluster if it is down,
# and as a last resort runs a private throwaway cluster on port 54329.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/common.sh
. scripts/common.sh
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

APT_UPDATED=
apt_install() {
  log "installing $* from Debian's packages"
  if [ -z "$APT_UPDATED" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_answers() { psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

ensure_postgres() {
  if [ -n "${TEST_POSTGRES_URL:-}" ]; then
    pg_answers "$TEST_POSTGRES_URL" || die "TEST_POSTGRES_URL=$TEST_POSTGRES_URL does not answer"
    return
  fi
  local machine=postgres://postgres@127.0.0.1:5432/postgres
  if command -v psql >/dev/null && pg_answers "$machine"; then
    TEST_POSTGRES_URL=$machine; return
  fi
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v psql >/dev/null; then
    apt_install postgresql postgresql-client
  fi
  # The machine's own cluster on 5432, if there is one and it is down.
  if command -v pg_lsclusters >/dev/null; then
    while read -r version name port status _; do
      if [ "$port" = 5432 ] && [ "$status" != online ]; then
        log "starting PostgreSQL cluster $version/$name"
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start || true
      fi
    done < <(pg_lsclusters --no-header 2>/dev/null || true)
    if wait_for 10 pg_answers "$machine"; then TEST_POSTGRES_URL=$machine; return; fi
  fi
  # A private cluster with trust auth (the machine's may demand passwords).
  local bin dir port=54329
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  dir=${TMPDIR:-/tmp}/wabot-test-pg
  TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres
  if pg_answers "$TEST_POSTGRES_URL"; then return; fi
  log "starting a private PostgreSQL on 127.0.0.1:$port ($dir)"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
  wait_for 10 pg_answers "$TEST_POSTGRES_URL" || die "PostgreSQL did not start; see $dir/pg.log"
}

redis_answers() { redis-cli -u "$1" ping 2>/dev/null | grep -q PONG; }

ensure_redis() {
  TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379}
  if command -v redis-cli >/dev/null && redis_answers "$TEST_REDIS_URL"; then return; fi
  command -v redis-server >/dev/null || apt_install redis-server
  local port=${TEST_REDIS_URL##*:}; port=${port%%/*}
  log "starting Redis on 127.0.0.1:$port"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
    --dir "${TMPDIR:-/tmp}" --logfile "${TMPDIR:-/tmp}/wabot-test-redis.log" >/dev/null
  wait_for 10 redis_answers "$TEST_REDIS_URL" || die "Redis did not start on port $port"
}

# The tests connect as an ordinary role, as wabot does in production: a
# superuser bypasses row-level security, so tests run as one would prove
# nothing about it. Made once; the URL is switched to it.
use_ordinary_role() {
  local role=wabot_ci url
  [ "$(psql "$TEST_POSTGRES_URL" -Atqc 'select rolsuper from pg_roles where rolname = current_user')" = t ] || return 0
  psql "$TEST_POSTGRES_URL" -qc "DO \$\$ BEGIN CREATE ROLE $role LOGIN CREATEDB CREATEROLE;
    EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
  case "$TEST_POSTGRES_URL" in
    *://*@*) url="${TEST_POSTGRES_URL/:\/\/*@/://$role@}" ;;
    *) url="${TEST_POSTGRES_URL/:\/\//://$role@}" ;;
  esac
  pg_answers "$url" || die "PostgreSQL does not let the role $role log in at $url"
  TEST_POSTGRES_URL=$url
}

# Drops what earlier test runs left, with the URL the script was given (a
# superuser's, usually, so whoever made them).
drop_test_databases() {
  psql "$PG_ADMIN_URL" -Atqc "select datname from pg_database where datname like 'wabot_test_%'" |
    while read -r db; do psql "$PG_ADMIN_URL" -qc "drop database if exists \"$db\"" >/dev/null; done
  psql "$PG_ADMIN_URL" -Atqc "select rolname from pg_roles where rolname like 'wabot_owner_%'" |
    while read -r role; do psql "$PG_ADMIN_URL" -qc "drop role if exists \"$role\"" >/dev/null; done
  rm -f "${TMPDIR:-/tmp}"/wabot-test-*.db "${TMPDIR:-/tmp}"/wabot-test-*.db-*
}

ensure_postgres
PG_ADMIN_URL=$TEST_POSTGRES_URL
use_ordinary_role
ensure_redis
# The Redis TLS test starts its own redis-server (Debian's is built with TLS).
command -v redis-server >/dev/null || apt_install redis-server
export TEST_POSTGRES_URL TEST_REDIS_URL
log "PostgreSQL: $TEST_POSTGRES_URL, Redis: $TEST_REDIS_URL"
drop_test_databases
trap drop_test_databases EXIT

log "cargo fmt --check"
cargo fmt --all --check
log "cargo clippy -D warnings"
cargo clippy --locked --all-targets -- -D warnings
log "import cycles between files"
python3 scripts/import_cycles.py
if cargo nextest --version >/dev/null 2>&1; then
  log "cargo nextest run"
  cargo nextest run --locked --no-fail-fast
else
  log "cargo test (cargo-nextest not installed)"
  cargo test --locked --no-fail-fast
fi

# The OpenAPI document must validate as OpenAPI 3 (the validator and the
# other Python tools come from PyPI into target/tools, made once).
log "Python tools (target/tools)"
tools=$(./scripts/python-tools.sh)
log "OpenAPI document validates"
cargo run --locked --quiet -- openapi > target/openapi.json
"$tools/openapi-spec-validator" target/openapi.json

# The whole API fuzzed from its own OpenAPI document, on both backends: no
# 5xx, no undocumented status or content type.
./scripts/api-fuzz.sh

# The Dockerfile, docker-compose.yml and Terraform, linted and validated offline.
./scripts/check-deploy.sh

# The dashboards and alert rules against a real Prometheus scraping wabot
# under load (installs Prometheus from Debian's packages if needed).
log "Prometheus proof of the dashboards and alerts"
./scripts/prometheus-proof.sh
