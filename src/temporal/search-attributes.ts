/**
 * hakube's custom search attributes, registered by `hakube server` and the test server.
 * Workflows upsert them (typed keys) so runs can be listed per cluster and phase. Sandbox-safe.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const HAKUBE_CLUSTER = defineSearchAttributeKey('HakubeCluster', SearchAttributeType.KEYWORD);
export const HAKUBE_PHASE = defineSearchAttributeKey('HakubePhase', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTE_KEYS = [HAKUBE_CLUSTER, HAKUBE_PHASE];
