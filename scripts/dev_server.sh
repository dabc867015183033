#!/usr/bin/env bash
# Set up and run OctoPrint 1.11.8 with this plugin and the Virtual Printer on
# http://127.0.0.1:5000, offline defaults (no LLM needed). Prints the URL and the login.
# Re-running reuses the environment and the OctoPrint data in .dev/ (delete it to start over).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
port=${PORT:-5000}
venv=.venv/op111
basedir="$root/.dev/octoprint"

bash scripts/install_system_deps.sh
bash scripts/fetch_cura_definitions.sh
bash scripts/setup_venv.sh "$venv" "octoprint==1.11.8"

mkdir -p "$basedir"
if [ ! -f "$basedir/config.yaml" ]; then
  cat > "$basedir/config.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $port
  firstRun: false
  onlineCheck: {enabled: false}
  pluginBlacklist: {enabled: false}
  pythonEolCheck: {enabled: false}
plugins:
  virtual_printer: {enabled: true}
  tracking: {enabled: false}
  softwareupdate: {checks: {octoprint: {disabled: true}}}
  _disabled: [announcements, tracking, errortracking]
serial:
  autoconnect: true
  port: VIRTUAL
  baudrate: 115200
YAML
fi
if [ ! -f "$basedir/login.txt" ]; then
  password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(9))')
  "$venv/bin/octoprint" --basedir "$basedir" user add --admin --password "$password" admin >/dev/null
  echo "user: admin  password: $password" > "$basedir/login.txt"
fi
extra=()
[ "$(id -u)" -eq 0 ] && extra+=(--iknowwhatimdoing)
echo
echo "OctoPrint with the AI Agent plugin: http://127.0.0.1:$port  ($(cat "$basedir/login.txt"))"
echo "The Virtual Printer connects by itself. Stop with Ctrl-C."
echo
exec "$venv/bin/octoprint" serve --basedir "$basedir" --host 127.0.0.1 --port "$port" "${extra[@]}"
