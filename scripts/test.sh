#!/usr/bin/env bash
# The whole test suite, the README's second command:  bash scripts/test.sh [pytest args...]
#
# Sets up what the tests need (idempotent, quick when already done), then runs
# ruff, mypy and pytest. Extra arguments go to pytest, e.g. `bash scripts/test.sh -k catalog -x`.
# Any failing step stops the script with a non-zero exit code.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export PIP_DISABLE_PIP_VERSION_CHECK=1
export NO_MKDOCS_2_WARNING=1
PYTHON="${PYTHON:-python3}"

step() { printf '\n==> %s\n' "$*" >&2; }

is_root() { [ "$(id -u)" -eq 0 ]; }

apt_install() {
  # Debian/Ubuntu packages, non-interactive and quiet; only as root (CI runs as root).
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- system packages: Chromium for the browser tests, a CJK font, Node for the JS tools ---
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ "${#missing[@]}" -gt 0 ]; then
  if is_root && command -v apt-get >/dev/null 2>&1; then
    step "apt-get install ${missing[*]}"
    apt_install "${missing[@]}"
  else
    echo "note: not installed: ${missing[*]} (install them with apt-get as root);" \
         "tests that need them will fail or be skipped" >&2
  fi
fi

# --- Python: the project's venv with the package and its test tools ---
if ! .venv/bin/python -c 'import sys' >/dev/null 2>&1; then
  step "create .venv"
  rm -rf .venv
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    # Debian/Ubuntu ship venv support separately.
    is_root && apt_install python3-venv
    rm -rf .venv
    "$PYTHON" -m venv .venv
  fi
fi
step "pip install -e '.[test,dask]'"
# dask: the distributed-encoding tests run a real 2-worker cluster (tests/test_distributed.py)
.venv/bin/python -m pip install -qq -e '.[test,dask]'   # -qq: errors only

# --- JavaScript dev tools (package.json devDependencies, e.g. webvtt-parser) ---
if [ -f package.json ]; then
  step "npm install (dev tools from package.json)"
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
fi

# --- the checks (with the venv first on PATH, for tests that run `clipportal` or `actionlint`) ---
export PATH="$PWD/.venv/bin:$PATH"
step "ruff check"
.venv/bin/ruff check .
step "mypy"
.venv/bin/mypy
step "pytest $*"
.venv/bin/python -m pytest "$@"
