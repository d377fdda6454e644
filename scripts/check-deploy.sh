#!/usr/bin/env bash
# Lints and validates the deployment files offline:
#   - the Dockerfile with hadolint (.hadolint.yaml);
#   - docker-compose.yml and the Grafana provisioning (scripts/check_compose.py);
#   - terraform/: every file parses as HCL2 and every reference resolves
#     (scripts/check_terraform.py), `terraform fmt -check` where a terraform
#     binary is installed, and checkov's AWS checks (each skipped check is
#     justified in a comment beside the resource).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/common.sh
. scripts/common.sh
tools=$(./scripts/python-tools.sh)

log "hadolint Dockerfile"
"$tools/hadolint" --config .hadolint.yaml Dockerfile && echo "Dockerfile: no findings"

log "docker-compose.yml and Grafana provisioning"
"$tools/python" scripts/check_compose.py .

log "terraform: HCL2 and references"
"$tools/python" scripts/check_terraform.py terraform
if command -v terraform >/dev/null; then
  terraform fmt -check -recursive terraform && echo "terraform fmt: formatted"
else
  echo "terraform fmt: no terraform binary on this machine, formatting not checked"
fi

log "checkov (terraform, AWS)"
"$tools/checkov" --directory terraform --framework terraform --skip-download --compact --quiet
