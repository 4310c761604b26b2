import type { Command } from 'commander';

/**
 * Every command group, in the order `hakube --help` lists them. Each module exports
 * `register(program)`; add a line here when a new group lands.
 */
const groups: Array<(program: Command) => void> = [
];

export function registerCommands(program: Command): void {
  for (const register of groups) register(program);
}
