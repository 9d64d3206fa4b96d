#!/usr/bin/env bash
# Measures `spcred agent` in one run against one `spcred serve --test-mode`: getMarketplaceParticipations
# straight at the SP-API sandbox (the baseline), a cached token from the agent's /v1/token, and the
# same call through the agent's proxy. Usage: scripts/bench-agent.sh [target-dir] [connections] [seconds]
set -euo pipefail
TARGET=${1:-target}/${PROFILE:-release}
CONNS=${2:-32}
SECS=${3:-10}
DIR=$(mktemp -d)
SERVE_PORT=45661 AGENT_PORT=45662
EP=http://127.0.0.1:$SERVE_PORT
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$DIR"' EXIT

"$TARGET/spcred" serve --listen 127.0.0.1:$SERVE_PORT --data-dir "$DIR/data" --test-mode >/dev/null 2>"$DIR/serve.log" &
until curl -sf $EP/_spcred/health >/dev/null; do sleep 0.1; done
export SPCRED_ENDPOINT=$EP SPCRED_DATA_DIR=$DIR/data
export AWS_SHARED_CREDENTIALS_FILE=$DIR/data/credentials AWS_CONFIG_FILE=$DIR/data/config AWS_PROFILE=spcred
export AWS_ENDPOINT_URL=$EP AWS_REGION=us-east-1
sp() { "$TARGET/spcred" sp "$@" --json; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }
CASE=$(sp developer register --organization bench --contact-name bench --contact-email bench@example.com \
  --data-access private --role "Inventory and Order Tracking" | field '["registrationCaseId"]')
"$TARGET/spcred" dp review "$CASE" --step registration --decision approve >/dev/null
APP_JSON=$(sp app create --name bench --role "Inventory and Order Tracking")
SELLER=$(sp seller create --name bench --rate-scale 1000000 | field '["sellingPartnerId"]')
APP=$(field '["applicationId"]' <<<"$APP_JSON")
REFRESH=$(sp authorize --app "$APP" --seller "$SELLER" | field '["refreshToken"]')
AWS=${AWS:-aws}
$AWS ssm put-parameter --name /my-erp/lwa/clientidentifier --type String --overwrite \
  --value "$(field '["lwaCredentials"]["clientId"]' <<<"$APP_JSON")" >/dev/null
$AWS ssm put-parameter --name /my-erp/lwa/clientsecret --type SecureString --overwrite \
  --value "$(field '["clientSecret"]' <<<"$APP_JSON")" >/dev/null
$AWS ssm put-parameter --name /my-erp/refreshToken --type SecureString --overwrite --value "$REFRESH" >/dev/null

RUST_LOG=warn "$TARGET/spcred" agent --listen 127.0.0.1:$AGENT_PORT --sp-endpoint $EP \
  --lwa-endpoint $EP/auth/o2/token >/dev/null 2>"$DIR/agent.log" &
until curl -sf http://127.0.0.1:$AGENT_PORT/health >/dev/null; do sleep 0.1; done
"$TARGET/spcred-loadgen" --endpoint $EP --credentials "$DIR/data/credentials" \
  --admin-token-file "$DIR/data/admin-token" --agent http://127.0.0.1:$AGENT_PORT \
  --connections "$CONNS" --duration "$SECS" spapi agent-token agent-spapi
