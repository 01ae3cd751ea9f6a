#!/usr/bin/env bash
# azd postprovision hook (azure.yaml): prepares the warehouse after `azd provision` / `azd up`,
# before the code is deployed. Runs with the deployer's Entra identity (az login / azd auth login
# on a laptop; the federated credential in .github/workflows/deploy.yml), which must be the SQL
# server's Entra administrator or a member of its administrator group.
#
#   1. opens the SQL server's firewall to this machine's public address for the run (removed on exit)
#   2. applies the warehouse migrations: `npm run db:migrate -- --only dw` with an Entra connection
#      (Authentication=Active Directory Default). The app itself never runs DDL in Azure.
#   3. creates the app identity's contained database user and grants it exactly what the app uses
#      at run time (app-database-user.sql, with the reason for each grant)
#
# Idempotent: a second run applies no migration, creates no user and changes no right.
# Needs: az (Azure CLI), sqlcmd (go-sqlcmd: `sqlcmd --authentication-method`), curl, Node.js 22 / npm.
# Inputs: the azd environment's values (azd passes them as environment variables): the outputs of
# infra/main.bicep. SQL_FIREWALL_OPEN=false skips step 1 (a runner inside the server's network).

# azd runs `sh` hooks with bash; should a plain sh start it anyway, hand over to bash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

need() {
  local name
  for name in "$@"; do
    if [ -z "${!name:-}" ]; then
      echo "postprovision: $name is not set (an output of infra/main.bicep: run azd provision first)" >&2
      exit 1
    fi
  done
}
need AZURE_RESOURCE_GROUP AZURE_SQL_SERVER_NAME AZURE_SQL_SERVER_FQDN AZURE_SQL_DATABASE_NAME AZURE_APP_IDENTITY_NAME AZURE_APP_IDENTITY_CLIENT_ID

for tool in az curl npm sqlcmd; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "postprovision: $tool is not installed (see docs/deploy-azure.md, Prerequisites)" >&2
    exit 1
  fi
done
# The ODBC sqlcmd (mssql-tools) has the same name but no Entra default credential.
if ! sqlcmd --help 2>&1 | grep -q -- '--authentication-method'; then
  echo "postprovision: the sqlcmd on PATH is not go-sqlcmd (it has no --authentication-method); install go-sqlcmd" >&2
  exit 1
fi

# 1. Firewall: Entra authentication still applies; the rule only lets this machine reach the server.
if [ "${SQL_FIREWALL_OPEN:-true}" != "false" ]; then
  ip=$(curl -fsS --max-time 20 https://api.ipify.org)
  rule="azd-postprovision-$(printf '%s' "$ip" | tr '.' '-')"
  echo "postprovision: allowing $ip through the firewall of $AZURE_SQL_SERVER_NAME for this run ($rule)"
  az sql server firewall-rule create --resource-group "$AZURE_RESOURCE_GROUP" --server "$AZURE_SQL_SERVER_NAME" \
    --name "$rule" --start-ip-address "$ip" --end-ip-address "$ip" --output none
  close_firewall() {
    az sql server firewall-rule delete --resource-group "$AZURE_RESOURCE_GROUP" --server "$AZURE_SQL_SERVER_NAME" \
      --name "$rule" --output none || echo "postprovision: could not remove firewall rule $rule; remove it by hand" >&2
  }
  trap close_firewall EXIT
fi

sql() {
  sqlcmd --server "tcp:$AZURE_SQL_SERVER_FQDN,1433" --database-name "$AZURE_SQL_DATABASE_NAME" \
    --authentication-method ActiveDirectoryDefault --exit-on-error "$@"
}

# A new firewall rule, and a paused serverless database, take a while to answer: retry for ~3 minutes.
attempt=1
until sql --query "SELECT 1" >/dev/null 2>&1; do
  if [ "$attempt" -ge 18 ]; then
    echo "postprovision: cannot reach $AZURE_SQL_DATABASE_NAME on $AZURE_SQL_SERVER_FQDN as the SQL Entra administrator:" >&2
    sql --query "SELECT 1" >&2 || true
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 10
done

# 2. Migrations, as the administrator (DDL). Only the warehouse: the source is the company's.
cd "$repo"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
echo "postprovision: migrating the warehouse $AZURE_SQL_DATABASE_NAME"
DW_CONNECTION_STRING="Server=tcp:$AZURE_SQL_SERVER_FQDN,1433;Database=$AZURE_SQL_DATABASE_NAME;Authentication=Active Directory Default;Encrypt=true" \
  npm run --silent db:migrate -- --only dw

# 3. The app identity's database user and its grants.
echo "postprovision: database user $AZURE_APP_IDENTITY_NAME and its grants"
sql --variables "APP_IDENTITY_NAME=$AZURE_APP_IDENTITY_NAME" --variables "APP_IDENTITY_CLIENT_ID=$AZURE_APP_IDENTITY_CLIENT_ID" \
  --input-file "$here/app-database-user.sql"

echo "postprovision: warehouse ready"
