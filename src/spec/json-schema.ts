/** The cluster.yaml JSON Schema, for editors (yaml-language-server) and CI linters. */
import { z } from 'zod';
import { ClusterSchema } from './schema';

export function clusterJsonSchema(): Record<string, unknown> {
  // io: 'input' so fields with defaults are optional, as an author writes them.
  return { ...z.toJSONSchema(ClusterSchema, { io: 'input', unrepresentable: 'any' }), title: 'hakube Cluster' };
}
