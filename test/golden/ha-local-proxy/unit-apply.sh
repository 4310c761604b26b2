#!/bin/sh
# Rendered by hakube: restart a unit with its rendered files and record their checksums.
set -eu
unit=$1; shift
mkdir -p /var/lib/hakube/units
systemctl daemon-reload
systemctl enable --now "$unit"
systemctl restart "$unit"
sha256sum "$@" > /var/lib/hakube/units/"$unit".sha256
