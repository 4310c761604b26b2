import type { Command } from 'commander';
import { register as plan } from './plan';
import { register as schema } from './schema';
import { register as server } from './server';
import { register as worker } from './worker';
import { register as lab } from './lab';
import { register as deploy } from './deploy';
import { register as reset } from './reset';
import { register as apply } from './apply';
import { register as joinCommand } from './join-command';
import { register as status } from './status';
import { register as logs } from './logs';
import { register as steer } from './steer';
import { register as list } from './list';
import { register as demo } from './demo';

/**
 * Every command group, in the order `hakube --help` lists them. Each module exports
 * `register(program)`; add a line here when a new group lands.
 */
const groups: Array<(program: Command) => void> = [
  deploy,
  apply,
  reset,
  joinCommand,
  status,
  logs,
  steer,
  list,
  demo,
  plan,
  schema,
  server,
  worker,
  lab,
];

export function registerCommands(program: Command): void {
  for (const register of groups) register(program);
}
