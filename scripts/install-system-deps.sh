#!/usr/bin/env bash
# System packages the tests use (Debian): Chromium for end-to-end tests, ffmpeg for video input,
# PostgreSQL for the server suite's real-database run, Xvfb for headed debugging. Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium ffmpeg postgresql xvfb fonts-noto-cjk >/dev/null
