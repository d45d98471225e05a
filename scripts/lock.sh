#!/usr/bin/env bash
# Re-resolves constraints.txt: installs the package with its test extras into a throw-away
# virtual environment from today's releases (within pyproject.toml's bounds) and freezes it.
# Upgrading is a deliberate change: run this, then the tests, and commit both together.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --disable-pip-version-check -q ".[test]"
{
  echo "# Exact versions CI tests and scripts/install.sh installs (runtime and test extras)."
  echo "# Regenerate deliberately with scripts/lock.sh, then run the tests; do not edit by hand."
  "$venv/bin/pip" freeze --exclude perfloop
} > constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) packages pinned"
