import type { Command } from 'commander';
import { register as plan } from './plan';
import { register as schema } from './schema';
import { register as server } from './server';
import { register as worker } from './worker';
import { register as deploy } from './deploy';
import { register as reset } from './reset';
import { register as apply } from './apply';
import { register as joinCommand } from './join-command';
import { register as status } from './status';
import { register as logs } from './logs';
import { register as steer } from './steer';
import { register as list } from './list';
import { register as demo } from './demo';
import { register as doctor } from './doctor';
import { register as codec } from './codec';
import { register as certs } from './certs';
import { register as schedule } from './schedule';
import { register as etcd } from './etcd';

/** Adds one group of commands to the program. */
export type CommandGroup = (program: Command) => void;

/**
 * Every command group, in the order `hakube --help` lists them. Each module exports
 * `register(program)`; add a line here when a new group lands. A module's top level stays
 * light (commander and plain values): what an action needs it imports when it runs, so
 * `hakube --help` does not load the Temporal SDK.
 */
const groups: CommandGroup[] = [
  deploy,
  apply,
  reset,
  joinCommand,
  certs,
  schedule,
  etcd,
  status,
  logs,
  steer,
  list,
  doctor,
  demo,
  plan,
  schema,
  server,
  codec,
  worker,
];

/** The product's groups, then `extra` (the launcher passes the lab's commands in a checkout). */
export function registerCommands(program: Command, extra: CommandGroup[] = []): void {
  for (const register of [...groups, ...extra]) register(program);
}
