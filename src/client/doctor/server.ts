/**
 * The server side of `hakube doctor`: Temporal answers with the namespace, hakube's search
 * attributes are registered there, and this machine's codec key opens the namespace's
 * encrypted payloads (the worker that wrote them must have used the same key).
 */
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { AesGcmCodec, isEncrypted, isSealed } from '../../temporal/codec';
import { findCodecKeys } from '../../temporal/codec-key';
import { SEARCH_ATTRIBUTE_KEYS } from '../../temporal/search-attributes';
import { ok, problem, type CheckResult } from './check';

const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD

export async function searchAttributesCheck(client: Client): Promise<CheckResult> {
  const name = 'search attributes';
  const namespace = client.options.namespace;
  let attrs: Record<string, unknown>;
  try {
    attrs = (await client.connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } catch (err) {
    return problem(name, `cannot list them in namespace ${namespace}: ${(err as Error).message.split('\n')[0]}`, `register ${SEARCH_ATTRIBUTE_KEYS.map((k) => k.name).join(' and ')} as Keyword attributes in the namespace's settings`);
  }
  const missing = SEARCH_ATTRIBUTE_KEYS.filter((k) => attrs[k.name] !== KEYWORD).map((k) => k.name);
  if (missing.length === 0) return ok(name, `${SEARCH_ATTRIBUTE_KEYS.map((k) => k.name).join(', ')} registered (Keyword) in namespace ${namespace}`);
  const wrong = missing.filter((n) => attrs[n] !== undefined);
  return problem(
    name,
    `${missing.join(', ')} ${wrong.length ? 'not registered as Keyword' : 'not registered'} in namespace ${namespace}`,
    `temporal operator search-attribute create --namespace ${namespace} ${missing.map((n) => `--name ${n} --type Keyword`).join(' ')}`,
  );
}

function encryptedPayloads(value: unknown, out: Payload[] = []): Payload[] {
  if (!value || typeof value !== 'object' || out.length >= 1) return out;
  const p = value as Payload;
  if (p.metadata && p.data && (isEncrypted(p) || isSealed(p))) {
    out.push(p);
    return out;
  }
  for (const v of Object.values(value)) if (!(v instanceof Uint8Array)) encryptedPayloads(v, out);
  return out;
}

const KEY_FIX = "give this machine the worker's key: HAKUBE_CODEC_KEY (base64 of 32 bytes) or HAKUBE_CODEC_KEY_FILE";

/** Finds the key without creating one, and tries it on the newest encrypted payload of a deploy. */
export async function codecCheck(client: Client | undefined, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const name = 'codec key';
  let found;
  try {
    found = findCodecKeys(env);
  } catch (err) {
    return problem(name, (err as Error).message, KEY_FIX);
  }
  if (!found) {
    return problem(name, 'none: HAKUBE_CODEC_KEY, HAKUBE_CODEC_KEY_FILE and .hakube/codec.key are all unset', `${KEY_FIX}; or, when this machine runs the worker too, any hakube command creates .hakube/codec.key`);
  }
  const codec = new AesGcmCodec(found.ring);
  const where = `key ${found.ring.currentId} (${found.ring.ids.length} in the ring) from ${found.source}`;
  if (!client) return ok(name, `${where} (no server to check it against)`);
  let looked = 0;
  for await (const wf of client.workflow.list({ query: "WorkflowType = 'deployCluster'", pageSize: 5 })) {
    if (++looked > 5) break;
    const { events = [] } = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    const [payload] = encryptedPayloads(events);
    if (!payload) continue;
    try {
      await codec.decode([payload]);
      return ok(name, `${where} decodes the encrypted payloads of ${wf.workflowId}`);
    } catch (err) {
      return problem(name, `${where} cannot decode ${wf.workflowId}: ${(err as Error).message.split(':')[0]}`, KEY_FIX);
    }
  }
  return ok(name, `${where}; no encrypted payloads in namespace ${client.options.namespace} yet to try it on`);
}
