#!/bin/sh
# Creates or upgrades Temporal's two PostgreSQL databases with Temporal's own temporal-sql-tool;
# safe to run on every start. Run by docker-compose.yml's temporal-schema job and by
# `hakube server --persistence postgres`.
#   SQL_HOST SQL_PORT SQL_USER SQL_PASSWORD   the PostgreSQL cluster (the tool reads SQL_PASSWORD)
#   SCHEMA_DIR   .../schema/postgresql/v12 of the server release (admin-tools: /etc/temporal/schema)
#   SQL_TOOL     the tool's path (default: temporal-sql-tool on PATH)
set -eu
: "${SQL_HOST:?}" "${SQL_PORT:?}" "${SQL_USER:?}" "${SQL_PASSWORD:?}" "${SCHEMA_DIR:?}"
export SQL_PASSWORD
sql() { "${SQL_TOOL:-temporal-sql-tool}" --plugin postgres12 --ep "$SQL_HOST" -p "$SQL_PORT" -u "$SQL_USER" "$@"; }
for db in temporal temporal_visibility; do
  if [ "$db" = temporal ]; then kind=temporal; else kind=visibility; fi
  # `create` fails once the database exists, `setup-schema -v 0.0` once it has a schema:
  # both are expected on a second run; `update-schema` then brings it to the newest version.
  sql --db "$db" create >/dev/null 2>&1 || echo "database $db exists"
  sql --db "$db" setup-schema -v 0.0 >/dev/null 2>&1 || echo "schema of $db exists"
  sql --db "$db" update-schema -d "$SCHEMA_DIR/$kind/versioned"
done
