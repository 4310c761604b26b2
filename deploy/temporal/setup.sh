#!/bin/sh
# Creates the namespace and hakube's search attributes (HakubeCluster, HakubePhase) with the
# Temporal CLI; safe to run again. Run by docker-compose.yml's temporal-setup job and by
# `hakube server --persistence postgres`.
#   TEMPORAL_ADDRESS NAMESPACE   and, with mTLS, TEMPORAL_TLS_CLIENT_CERT_PATH
#   TEMPORAL_TLS_CLIENT_KEY_PATH TEMPORAL_TLS_SERVER_CA_CERT_PATH (the CLI reads them itself)
set -eu
: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}"
until temporal operator cluster health >/dev/null 2>&1; do sleep 1; done
temporal operator namespace describe -n "$NAMESPACE" >/dev/null 2>&1 ||
  temporal operator namespace create -n "$NAMESPACE" --retention 30d
# A new namespace takes a few seconds to reach the frontend's cache.
until temporal operator search-attribute list -n "$NAMESPACE" >/dev/null 2>&1; do sleep 1; done
for sa in HakubeCluster HakubePhase; do
  temporal operator search-attribute list -n "$NAMESPACE" | grep -qw "$sa" ||
    temporal operator search-attribute create -n "$NAMESPACE" --name "$sa" --type Keyword
done
