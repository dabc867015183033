#!/usr/bin/env bash
# Debian packages the tests use. Installs only what is missing.
# usage: scripts/install_system_deps.sh [build|test]   (both when not named)
#   build: cmake and g++, for building llama-server
#   test:  the two real slicers, Chromium and its Arial-metric fonts for the browser test, ab
set -euo pipefail
group=${1:-all}
need=()
if [ "$group" != test ]; then
  command -v cmake >/dev/null || need+=(cmake)
  command -v g++ >/dev/null || need+=(g++)
fi
if [ "$group" != build ]; then
  command -v prusa-slicer >/dev/null || need+=(prusa-slicer)
  command -v CuraEngine >/dev/null || need+=(cura-engine)
  command -v chromium >/dev/null || need+=(chromium)
  # Only recommended by chromium, so --no-install-recommends leaves it out; without an Arial-metric
  # font the page renders wider than in users' browsers and OctoPrint's tab bar overflows.
  [ "$(dpkg-query -W -f='${Status}' fonts-liberation 2>/dev/null)" = "install ok installed" ] || need+=(fonts-liberation)
  command -v ab >/dev/null || need+=(apache2-utils)
fi
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
