/** `hakube schema`: the cluster.yaml JSON Schema, for editors (yaml-language-server) and CI linters. */
import type { Command } from 'commander';
import { z } from 'zod';
import { ClusterSchema } from '../spec/schema';
import { writeStdout } from './plan';

export function clusterJsonSchema(): Record<string, unknown> {
  // io: 'input' so fields with defaults are optional, as an author writes them.
  return { ...z.toJSONSchema(ClusterSchema, { io: 'input', unrepresentable: 'any' }), title: 'hakube Cluster' };
}

export function register(program: Command): void {
  program
    .command('schema')
    .description('Print the cluster.yaml JSON Schema (for editor completion and validation)')
    .action(async () => {
      await writeStdout(`${JSON.stringify(clusterJsonSchema(), null, 2)}\n`);
    });
}
