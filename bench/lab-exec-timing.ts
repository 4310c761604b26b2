/**
 * Timing of every remote command as the lab hosts see it, to the microsecond: the bench puts an
 * sshd ForceCommand wrapper into each host of ITS lab (never anything in src/), which runs the
 * command exactly as sshd would (root's shell, -c) and appends start, end and exit to the host's
 * /var/log/hakube-lab/exec-times.log. The simulators' own commands.log has whole seconds only.
 */
import type { TestLab } from '../test/helpers/lab';
import { parseExecLog, type TimedCommand } from './critical-path';

const WRAPPER = '/etc/ssh/hakube-lab/timed-exec';
const LOG = '/var/log/hakube-lab/exec-times.log';

const SCRIPT = `#!/bin/bash
c=$SSH_ORIGINAL_COMMAND
case "$c" in
  '') exec /bin/bash -l ;;
  internal-sftp|sftp|*/sftp-server) exec /usr/lib/openssh/sftp-server ;;
esac
s=$EPOCHREALTIME
/bin/bash -c "$c"
rc=$?
e=$EPOCHREALTIME
l=\${c//[$'\\n\\t']/ }
printf '%s\\t%s\\t%s\\t%s\\n' "$s" "$e" "$rc" "\${l:0:200}" >> ${LOG}
exit $rc
`;

async function inBatches<T>(items: T[], size: number, fn: (x: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, async () => {
    for (let x = queue.shift(); x !== undefined; x = queue.shift()) await fn(x);
  }));
}

async function must(lab: TestLab, host: string, argv: string[], input?: string): Promise<string> {
  const r = await lab.exec(host, argv, { input });
  if (r.code !== 0) throw new Error(`${host}: ${argv.join(' ')}: exit ${r.code} ${r.stderr}`);
  return r.stdout;
}

/** Wraps every host's sshd and proves it logs: one real SSH command per host. */
export async function installExecTiming(lab: TestLab, hosts: string[]): Promise<void> {
  await inBatches(hosts, 10, async (h) => {
    await must(lab, h, ['sh', '-c', `cat > ${WRAPPER} && chmod 0755 ${WRAPPER}`], SCRIPT);
    await must(lab, h, ['sh', '-c', `grep -q '^ForceCommand' /etc/ssh/hakube-lab/sshd_config || echo 'ForceCommand ${WRAPPER}' >> /etc/ssh/hakube-lab/sshd_config`]);
    await lab.fault(h, 'sshd-restart');
    const r = await lab.ssh(h, 'echo timed');
    if (r.code !== 0 || r.stdout.trim() !== 'timed') throw new Error(`${h}: ssh through the timing wrapper answered ${r.code} ${JSON.stringify(r.stdout)} ${r.stderr}`);
    await must(lab, h, ['sh', '-c', `grep -q 'echo timed' ${LOG} && : > ${LOG}`]);
  });
}

/** Every command the hosts ran over SSH since installExecTiming. */
export async function execTimes(lab: TestLab, hosts: string[]): Promise<TimedCommand[]> {
  const out: TimedCommand[] = [];
  await inBatches(hosts, 10, async (h) => {
    out.push(...parseExecLog(h, await must(lab, h, ['cat', LOG])));
  });
  return out;
}
