/** `hakube schedule list|describe|pause|unpause|trigger|delete`: hakube's Temporal Schedules. */
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';

type Act = (client: import('@temporalio/client').Client, id: string) => Promise<string>;

export function register(program: Command): void {
  const group = program.command('schedule').description("hakube's Temporal Schedules (certificate renewal, etcd snapshots)");
  const connect = async (flags: ConnectionFlags) => (await import('../temporal/connection')).connectClient(flags);

  const list = group.command('list').description('every hakube schedule: id, paused, next run, note').option('--json', 'as JSON');
  addConnectionOptions(list).action(async (flags: ConnectionFlags & { json?: boolean }) => {
    const { listSchedules } = await import('../client/schedules');
    const client = await connect(flags);
    try {
      const lines = await listSchedules(client);
      if (flags.json) process.stdout.write(`${JSON.stringify(lines, null, 2)}\n`);
      else for (const l of lines) process.stdout.write(`${l.id}  ${l.paused ? 'paused' : 'active'}  next ${l.next ?? '-'}  ${l.note ?? ''}\n`);
    } finally {
      await client.connection.close();
    }
  });

  const one = (name: string, description: string, act: () => Promise<Act>) => {
    const cmd = group.command(name).description(description).argument('<id>', 'schedule id, e.g. hakube-ha-vip-certs');
    addConnectionOptions(cmd).action(async (id: string, flags: ConnectionFlags) => {
      const run = await act();
      const client = await connect(flags);
      try {
        process.stdout.write(`${await run(client, id)}\n`);
      } finally {
        await client.connection.close();
      }
    });
  };
  one('describe', 'spec, policies, note, recent and next runs', async () => {
    const { describeSchedule } = await import('../client/schedules');
    return async (client, id) => {
      const d = await describeSchedule(client, id);
      return JSON.stringify({ id, spec: d.spec, policies: d.policies, state: d.state, memo: d.memo, recentActions: d.info.recentActions, nextActionTimes: d.info.nextActionTimes.slice(0, 3) }, null, 2);
    };
  });
  one('pause', 'pause it (runs stop until unpause)', async () => {
    const { pauseSchedule } = await import('../client/schedules');
    return async (client, id) => (await pauseSchedule(client, id, 'paused with hakube schedule pause'), `paused ${id}`);
  });
  one('unpause', 'resume it (after a failed run paused it, once the cause is fixed)', async () => {
    const { unpauseSchedule } = await import('../client/schedules');
    return async (client, id) => (await unpauseSchedule(client, id, 'unpaused with hakube schedule unpause'), `unpaused ${id}`);
  });
  one('trigger', 'run it now (overlap SKIP: not beside a run still going)', async () => {
    const { triggerSchedule } = await import('../client/schedules');
    return async (client, id) => (await triggerSchedule(client, id), `triggered ${id} (overlap SKIP)`);
  });
  one('delete', 'delete it (runs already started go on)', async () => {
    const { deleteSchedule } = await import('../client/schedules');
    return async (client, id) => (await deleteSchedule(client, id), `deleted ${id}`);
  });
}
