#!/bin/sh
# Rendered by hakube: is the unit running with the files it was last (re)started with?
unit=$1
systemctl is-active "$unit" >/dev/null 2>&1 || exit 1
sha256sum -c --status /var/lib/hakube/units/"$unit".sha256 2>/dev/null
