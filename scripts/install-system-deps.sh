#!/usr/bin/env bash
# System packages the tests use (Debian/Ubuntu): Chromium for end-to-end tests, ffmpeg/ffprobe for video input and
# for checking recordings, PostgreSQL for the server suite's real-database runs, coturn for the relay-only call test,
# iproute2 for the call benchmark's netem namespace, Xvfb for headed debugging, CJK fonts for screenshots.
# Works as root (no sudo needed, e.g. in containers) and as a normal user with sudo.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" -eq 0 ]; then
  as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
  as_root() { sudo --preserve-env=DEBIAN_FRONTEND "$@"; }
else
  echo "install-system-deps: run as root or install sudo" >&2
  exit 1
fi
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends \
  chromium ffmpeg postgresql coturn iproute2 xvfb fonts-noto-cjk >/dev/null
# Debian starts coturn as a system service on install; the tests start their own on loopback with their own
# secret, so a system instance is not needed (and may be absent in containers without an init system).
