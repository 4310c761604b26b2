import type { Command } from 'commander';
import { register as plan } from './plan';
import { register as schema } from './schema';
import { register as server } from './server';
import { register as worker } from './worker';
import { register as lab } from './lab';

/**
 * Every command group, in the order `hakube --help` lists them. Each module exports
 * `register(program)`; add a line here when a new group lands.
 */
const groups: Array<(program: Command) => void> = [
  plan,
  schema,
  server,
  worker,
  lab,
];

export function registerCommands(program: Command): void {
  for (const register of groups) register(program);
}
