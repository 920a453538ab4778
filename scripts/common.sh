# Shared by the scripts in this folder: where things live and small helpers. Sourced, never run.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/.run"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
mkdir -p "$RUN"

say() { printf '\033[1;34m[gridflow]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[gridflow]\033[0m %s\n' "$*" >&2; exit 1; }

# Local stack ports (only used when the matching GRIDFLOW_* URL is unset).
PG_PORT="${GRIDFLOW_STACK_PG_PORT:-55432}"
KAFKA_PORT="${GRIDFLOW_STACK_KAFKA_PORT:-59092}"
KAFKA_CONTROLLER_PORT="${GRIDFLOW_STACK_KAFKA_CONTROLLER_PORT:-59093}"
# The streaming replica (`stack up --replica`); the three-node cluster (`--brokers 3`) listens
# on KAFKA_PORT+2 … KAFKA_PORT+7 (node N: +2N for clients, +2N+1 for controllers).
PG_REPLICA_PORT="${GRIDFLOW_STACK_PG_REPLICA_PORT:-$((PG_PORT + 1))}"

pg_bindir() {
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
  [ -n "$v" ] || die "PostgreSQL is not installed; run ./scripts/setup"
  echo "/usr/lib/postgresql/$v/bin"
}

# Answers 0 when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Loads the running stack's GRIDFLOW_* variables into this shell.
load_stack_env() { set -a; eval "$("$ROOT/scripts/stack" env)"; set +a; }

# Stops the local stack as the caller found it: services named by the caller's own GRIDFLOW_*
# variables (saved in ORIG_DB_URL / ORIG_KAFKA before load_stack_env) stay external.
ORIG_DB_URL="${GRIDFLOW_DATABASE_URL:-}"
ORIG_KAFKA="${GRIDFLOW_KAFKA_BOOTSTRAP_SERVERS:-}"
stack_down_as_found() {
  GRIDFLOW_DATABASE_URL="$ORIG_DB_URL" GRIDFLOW_KAFKA_BOOTSTRAP_SERVERS="$ORIG_KAFKA" "$ROOT/scripts/stack" down
}

# Installed Debian packages count as present (dpkg's status), as do commands found on PATH.
has_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# The Python gridflow runs on: 3.11, 3.12 or 3.13, the newest found on PATH (Debian 12 has 3.11,
# Ubuntu 24.04 3.12, Debian 13 3.13). Prints its command, or nothing.
SUPPORTED_PYTHON='import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))'
find_python() {
  local candidate
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c "$SUPPORTED_PYTHON" 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
}

# The Debian packages setup must install: PostgreSQL, a JDK >= 17, Maven, Node.js with npm,
# a supported Python with venv, Chromium and a CJK font (PostGIS follows PostgreSQL's version).
missing_debian_packages() {
  local missing=() java_major python
  has_pkg postgresql || missing+=(postgresql)
  java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1 || true)
  if [ -z "$java_major" ] || [ "$java_major" -lt 17 ]; then missing+=(openjdk-17-jre-headless); fi
  command -v mvn >/dev/null || missing+=(maven)
  command -v npm >/dev/null || missing+=(nodejs npm)
  python=$(find_python)
  if [ -z "$python" ]; then
    missing+=(python3 python3-venv)
  elif ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    missing+=("$python-venv")
  fi
  has_pkg chromium || missing+=(chromium)
  # Chinese text in the pages' screenshots needs a CJK font; Debian's Chromium brings none.
  has_pkg fonts-wqy-microhei || missing+=(fonts-wqy-microhei)
  # Supervision notices as PDF: WeasyPrint lays text out with Pango; the tests read the PDF's
  # text back with poppler's pdftotext.
  has_pkg libpangoft2-1.0-0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
  has_pkg poppler-utils || missing+=(poppler-utils)
  echo "${missing[*]}"
}
