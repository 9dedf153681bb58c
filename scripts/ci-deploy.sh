#!/usr/bin/env bash
# Deploy from CI: what the example workflows in examples/ci/ call after the
# tests passed.
#
#   FLASKDEPLOY_ENV=prod APP_VERSION=<commit> \
#   ANSIBLE_VAULT_PASSWORD=... SSH_PRIVATE_KEY="$(cat key)" scripts/ci-deploy.sh
#
# The vault password and the SSH key come from the CI's secrets, in the
# environment; they are written to private files that are removed on the way
# out, and never echoed. FLASKDEPLOY_ENV is an inventory under inventories/ or
# a path; APP_VERSION a branch, tag or commit (default: the settings'
# version); FLASKDEPLOY_APP another app of the site; FLASKDEPLOY_DRY_RUN=1
# prints the command instead. Exits with the deploy's status.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${FLASKDEPLOY_ENV:?name the environment (an inventory under inventories/, or its path)}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0700 "$work"
args=()
if [ -n "${ANSIBLE_VAULT_PASSWORD:-}" ]; then
  printf '%s\n' "$ANSIBLE_VAULT_PASSWORD" >"$work/vault-pass"
  export ANSIBLE_VAULT_PASSWORD_FILE="$work/vault-pass"
fi
if [ -n "${SSH_PRIVATE_KEY:-}" ]; then
  printf '%s\n' "$SSH_PRIVATE_KEY" >"$work/id"
  chmod 0600 "$work/id"
  export ANSIBLE_PRIVATE_KEY_FILE="$work/id"
fi
[ -n "${FLASKDEPLOY_APP:-}" ] && args+=(--app "$FLASKDEPLOY_APP")
[ -n "${FLASKDEPLOY_DRY_RUN:-}" ] && args+=(--dry-run)
[ -x .venv/bin/ansible-playbook ] || make --no-print-directory setup >&2
.venv/bin/python bin/flaskdeploy deploy "${args[@]}" "$FLASKDEPLOY_ENV" ${APP_VERSION:+"$APP_VERSION"}
