#!/usr/bin/env bash
# System packages the test suite needs beyond Python: Debian's Chromium (the registrars' web view
# is tested in a real browser), fonts for the PDF renditions, PostgreSQL (the production-like
# smoke tests), Redis (the Celery broker of the scale-out smoke test), and docker-compose (it
# validates the compose files without a Docker engine).
# Installs only what is missing; needs root or sudo when something is.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing+=(postgresql)
fi
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
# Without its recommends: docker-compose would otherwise bring the Docker engine, not needed here.
no_recommends=()
command -v docker-compose >/dev/null 2>&1 || no_recommends+=(docker-compose)

if [ ${#missing[@]} -eq 0 ] && [ ${#no_recommends[@]} -eq 0 ]; then
    exit 0
fi
echo "installing system packages: ${missing[*]} ${no_recommends[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "need root to install: apt-get install -y ${missing[*]} ${no_recommends[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
    $sudo apt-get install -y -qq "${missing[@]}" fonts-liberation >/dev/null
fi
if [ ${#no_recommends[@]} -gt 0 ]; then
    $sudo apt-get install -y -qq --no-install-recommends "${no_recommends[@]}" >/dev/null
fi
