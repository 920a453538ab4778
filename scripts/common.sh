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

pg_bindir() {
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
  [ -n "$v" ] || die "PostgreSQL is not installed; run ./scripts/setup"
  echo "/usr/lib/postgresql/$v/bin"
}

# Answers 0 when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Loads the running stack's GRIDFLOW_* variables into this shell.
load_stack_env() { eval "$("$ROOT/scripts/stack" env)"; export GRIDFLOW_DATABASE_URL GRIDFLOW_KAFKA_BOOTSTRAP_SERVERS; }

# Stops the local stack as the caller found it: services named by the caller's own GRIDFLOW_*
# variables (saved in ORIG_DB_URL / ORIG_KAFKA before load_stack_env) stay external.
ORIG_DB_URL="${GRIDFLOW_DATABASE_URL:-}"
ORIG_KAFKA="${GRIDFLOW_KAFKA_BOOTSTRAP_SERVERS:-}"
stack_down_as_found() {
  GRIDFLOW_DATABASE_URL="$ORIG_DB_URL" GRIDFLOW_KAFKA_BOOTSTRAP_SERVERS="$ORIG_KAFKA" "$ROOT/scripts/stack" down
}
