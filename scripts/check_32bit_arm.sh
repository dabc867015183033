#!/usr/bin/env bash
# What a 32-bit OctoPi's Python gets from this plugin, checked with Debian's own 32-bit ARM Python
# in a Debian 12 armhf chroot under qemu (as root; about 45 minutes on 2 cores the first time, so
# not part of test.sh). The chroot is kept in the cache folder outside the repo. It shows:
#   1. which of the native libraries designing needs have a wheel for armv7l on the package index;
#   2. what the plugin built by that Python's pip requires (setup.py decides by the Python's bitness);
#   3. that the plugin imports there and what it says about designing;
#   4. a real OctoPrint 1.11.8 with the plugin there: /status, a new job, the job list.
# It checks the committed HEAD.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target="${AIAGENT_CACHE:-$HOME/.cache/octoprint-aiagent}/armhf-bookworm"

if ! command -v debootstrap >/dev/null || [ ! -e /usr/libexec/qemu-binfmt/arm-binfmt-P ]; then
  apt-get install -y -qq qemu-user-static debootstrap binfmt-support >/dev/null
fi
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-arm
if [ ! -x "$target/opt/venv/bin/python" ]; then
  debootstrap --arch=armhf --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$target" http://deb.debian.org/debian
  chroot "$target" python3 -m venv /opt/venv
fi
# The chroot reaches the package index the way this machine does: its resolver, its certificates.
cp /etc/resolv.conf "$target/etc/resolv.conf"
cp /etc/ssl/certs/ca-certificates.crt "$target/etc/ssl/certs/ca-certificates.crt"
# OctoPrint reads /proc (psutil) and /dev.
mountpoint -q "$target/proc" || mount -t proc proc "$target/proc"
mountpoint -q "$target/dev" || mount --bind /dev "$target/dev"
trap 'umount "$target/dev" "$target/proc"' EXIT
rm -rf "$target/root/plugin" && mkdir -p "$target/root/plugin"
git -C "$root" archive HEAD | tar -x -C "$target/root/plugin"

# A file, not the shell's standard input: pip's children would read the rest of the script.
cat > "$target/root/check.sh" <<'EOF'
set -e
pip() { /opt/venv/bin/pip --disable-pip-version-check -q "$@"; }
/opt/venv/bin/python -c 'import platform, struct, sys; print("Python", sys.version.split()[0], struct.calcsize("P") * 8, "bit,", platform.machine())'
# httpx (pure Python) has a wheel for every Python: if it does not download, nothing below says anything.
pip download --no-deps --only-binary=:all: -d /tmp/wheels httpx >/dev/null
for name in manifold3d numpy scipy shapely; do
  if pip download --no-deps --only-binary=:all: -d /tmp/wheels "$name" >/dev/null 2>&1; then
    echo "$name: a wheel for this Python"
  else
    echo "$name: no wheel for this Python (pip would compile it)"
  fi
done
pip install --dry-run --no-deps --report /tmp/report.json /root/plugin
/opt/venv/bin/python -c 'import json; print("the plugin requires:", ", ".join(r for r in json.load(open("/tmp/report.json"))["install"][0]["metadata"]["requires_dist"] if "extra ==" not in r))'
pip install --no-deps --force-reinstall /root/plugin
(cd / && /opt/venv/bin/python -c 'import json; from octoprint_aiagent.capabilities import design_unavailable; print(json.dumps(design_unavailable(), indent=1))')
# OctoPrint's own C extensions (psutil, netifaces, cffi...) compile here: about 10 minutes.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc python3-dev libffi-dev >/dev/null 2>&1
pip install "octoprint==1.11.8" /root/plugin
/opt/venv/bin/python /root/plugin/scripts/check_32bit_arm_server.py
EOF
chroot "$target" /bin/sh /root/check.sh
