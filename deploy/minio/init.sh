#!/bin/sh
# One-shot set-up of the archive bucket on MinIO (the compose file's minio-init service).
# Idempotent: safe to run on every `docker compose up`.
set -eu
mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
# Object Lock can only be enabled when the bucket is made; --with-lock also turns on versioning.
mc mb --ignore-existing --with-lock "local/$ARCHIVE_BUCKET"
# A backstop for any object written without a lock of its own; the archive always sets its own
# COMPLIANCE retention (and a legal hold for permanent records).
mc retention set --default COMPLIANCE "$ARCHIVE_DEFAULT_RETENTION" "local/$ARCHIVE_BUCKET"
mc retention info --default "local/$ARCHIVE_BUCKET"
# The archive's own credentials: write, lock, tag and read; never delete.
sed "s/ARCHIVE_BUCKET/$ARCHIVE_BUCKET/g" /deploy/minio/archive-policy.json > /tmp/archive-policy.json
mc admin policy create local archive-writer /tmp/archive-policy.json
mc admin user add local "$ARCHIVE_S3_ACCESS_KEY" "$ARCHIVE_S3_SECRET_KEY"
mc admin policy attach local archive-writer --user "$ARCHIVE_S3_ACCESS_KEY" || true  # already attached
