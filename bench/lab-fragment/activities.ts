/**
 * The fragment's activity: hakube's own step runner (runSteps: pooled, host-key-verified SSH,
 * executeStep, progress heartbeats) on the host the spec names, for three planned steps: copy a
 * small file, read it back, run a command.
 */
import { runSteps } from '../../src/activities/host-phase';
import { cmd, file, step } from '../../src/phases/step';
import type { SshPool } from '../../src/ssh';
import type { Cluster } from '../../src/spec/types';

export const FRAGMENT_FILE = '/tmp/hakube-bench-fragment.txt';

/** `onDone` gets the ms each host's activity spent inside (its SSH work), to tell it from scheduling. */
export function createFragmentActivities(pool: SshPool, spec: Cluster, onDone: (ms: number) => void = () => undefined) {
  return {
    async fragmentHost(host: string, payload: string): Promise<number> {
      const t0 = performance.now();
      const steps = [
        step('prep', host, 'bench-copy', 'copy a small file', { files: [file(FRAGMENT_FILE, payload)] }),
        step('prep', host, 'bench-read', 'read it back', { commands: [cmd('cat', '--', FRAGMENT_FILE)] }),
        step('prep', host, 'bench-run', 'run a command', { commands: [cmd('uname', '-r')] }),
      ];
      const done = await runSteps(pool, spec, steps, undefined);
      if (!done[1]?.tail?.includes(payload.trim())) throw new Error(`${host}: read back ${JSON.stringify(done[1]?.tail)}, not the file written`);
      onDone(performance.now() - t0);
      return done.length;
    },
  };
}

export type FragmentActivities = ReturnType<typeof createFragmentActivities>;
