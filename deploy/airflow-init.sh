#!/usr/bin/env bash
# One-shot set-up of Airflow (the compose file's airflow-init service). Idempotent.
set -euo pipefail
# The admin's password for Airflow's SimpleAuthManager, from .env (never baked into the image).
umask 077
printf '{"%s": "%s"}\n' "$AIRFLOW_ADMIN_USER" "$AIRFLOW_ADMIN_PASSWORD" \
    > "$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
airflow db migrate
# One pool per platform: parallel captures stay inside each platform's rate limits. The slots
# come from ARCHIVE_POOL_SLOTS ("mastodon=2 youtube=1"); importing sets them on every start, so
# change them there rather than in the UI.
slots=()
for item in ${ARCHIVE_POOL_SLOTS:-}; do
    slots+=(--slots "$item")
done
archivectl pools "${slots[@]}" > /tmp/pools.json
airflow pools import /tmp/pools.json
archivectl check-inventory "$ARCHIVE_INVENTORY"
