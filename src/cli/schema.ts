/** `hakube schema`: the cluster.yaml JSON Schema, for editors (yaml-language-server) and CI linters. */
import type { Command } from 'commander';
import { writeStdout } from './plan';

export function register(program: Command): void {
  program
    .command('schema')
    .description('Print the cluster.yaml JSON Schema (for editor completion and validation)')
    .action(async () => {
      const { clusterJsonSchema } = await import('../spec/json-schema');
      await writeStdout(`${JSON.stringify(clusterJsonSchema(), null, 2)}\n`);
    });
}
