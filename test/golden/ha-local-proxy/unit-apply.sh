#!/bin/sh
# Rendered by hakube: restart (or reload) a unit with its rendered files and record their checksums.
set -eu
reload=no
if [ "$1" = --reload ]; then reload=yes; shift; fi
unit=$1; shift
rec=/var/lib/hakube/units/"$unit".sha256
unitfile=""
for f in "$@"; do unitfile=$f; done
mkdir -p /var/lib/hakube/units
systemctl daemon-reload
if [ "$reload" = yes ] && systemctl is-active "$unit" >/dev/null 2>&1 && [ -f "$rec" ] && grep " $unitfile\$" "$rec" | sha256sum -c --status 2>/dev/null; then
    systemctl reload "$unit"
    echo "$unit reloaded"
else
    systemctl enable --now "$unit"
    systemctl restart "$unit"
fi
sha256sum "$@" > "$rec"
