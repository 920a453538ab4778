#!/bin/sh
# First start of the postgis container (docker-entrypoint-initdb.d): the roles gridflow's
# processes connect as. The owner (POSTGRES_USER) only migrates; every other process signs in
# as gridflow_api, a member of gridflow_app (migration 0008 grants that role its privileges:
# no UPDATE, DELETE or TRUNCATE of audit_log, no ownership of any table).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE gridflow_app NOLOGIN;
CREATE ROLE gridflow_api LOGIN PASSWORD :'app_password' IN ROLE gridflow_app;
SQL
