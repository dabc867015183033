#!/usr/bin/env bash
# CuraEngine's command line needs Cura's machine definitions (fdmprinter/fdmextruder), which
# Debian ships in the `cura` GUI package. Take just those two files out of the .deb, without
# installing the GUI, into the cache dir that octoprint_aiagent.slicing.cura looks in.
set -euo pipefail
defs="${XDG_CACHE_HOME:-$HOME/.cache}/octoprint_aiagent/cura-definitions"
[ -f "$defs/fdmprinter.def.json" ] && [ -f "$defs/fdmextruder.def.json" ] && exit 0
[ -f /usr/share/cura/resources/definitions/fdmprinter.def.json ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && { apt-get download -qq cura 2>/dev/null || { apt-get update -qq && apt-get download -qq cura; }; })
mkdir -p "$defs"
dpkg-deb --fsys-tarfile "$tmp"/cura_*.deb | tar -x -C "$defs" --strip-components=6 \
  ./usr/share/cura/resources/definitions/fdmprinter.def.json \
  ./usr/share/cura/resources/definitions/fdmextruder.def.json
echo "Cura definitions in $defs"
