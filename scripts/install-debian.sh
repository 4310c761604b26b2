#!/usr/bin/env bash
# Installs the Debian packages the lab hosts run, PostgreSQL for `hakube server --persistence
# postgres` (without starting their daemons on the machine itself), and the test tools: tmux
# for the terminal board, headless Chromium for the Web UI.
set -euo pipefail
pkgs=(openssh-server openssh-client etcd-server etcd-client haproxy nginx-light libnginx-mod-stream keepalived
      iproute2 openssl iputils-ping procps psmisc util-linux kmod perl docker-compose sudo tmux chromium postgresql)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
# policy-rc.d 101 tells invoke-rc.d not to start services during the install.
had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
if [ $had_policy -eq 0 ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
fi
trap '[ $had_policy -eq 0 ] && $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
stamp=/var/lib/apt/periodic/hakube-update-stamp
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +720 2>/dev/null)" ]; then
  $SUDO apt-get update -qq && $SUDO mkdir -p "$(dirname "$stamp")" && $SUDO touch "$stamp"
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
