/**
 * Workflow histories as JSON files, for replay tests. The SDK's historyToJSON/historyFromJSON
 * break here (npm installs two copies of protobufjs 8, and its protojson extension checks
 * `instanceof` against the other copy), so we use protobufjs's own toObject/fromObject on the
 * History type: camelCase fields, enum names, int64 as strings, bytes as base64.
 */
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
const HistoryType = temporal.api.history.v1.History;

export function historyToJSON(history: History): string {
  const obj = HistoryType.toObject(HistoryType.fromObject(history), { longs: String, enums: String, bytes: String, defaults: false });
  return JSON.stringify(obj, null, 1) + '\n';
}

export function historyFromJSON(json: string): temporal.api.history.v1.History {
  return HistoryType.fromObject(JSON.parse(json) as object);
}

/** Every byte string in a history (payload data and metadata), joined: to search for secrets. */
export function historyBytes(history: History): Buffer {
  const parts: Buffer[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) parts.push(Buffer.from(value));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(history);
  return Buffer.concat(parts);
}
