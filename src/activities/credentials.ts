/**
 * ensureJoinCredentials: fresh join material from master0. A new bootstrap token when asked
 * (none yet or near its 24h TTL); the control-plane certs uploaded again under a new key when
 * asked (near the 2h TTL) or when master0 no longer holds them (deleted or expired early).
 * Every value goes back wrapped as a secret, so the codec encrypts it in history.
 */
import { Context } from '@temporalio/activity';
import type { SshConnection } from '../ssh';
import { ADMIN_CONF, KUBEADM_CONFIG } from '../render/paths';
import { secret } from '../temporal/secret';
import { stepFailure } from './failure';
import type { JoinCredentials, JoinCredentialsInput } from './types';
import { currentRunId, runTokenDescription } from './tokens';

const KUBECTL = ['kubectl', '--kubeconfig', ADMIN_CONF];

export function parseJoinCommand(text: string): { token: string; caCertHash: string } | undefined {
  const token = /--token\s+(\S+)/.exec(text)?.[1];
  const caCertHash = /--discovery-token-ca-cert-hash\s+(sha256:[0-9a-f]{64})/.exec(text)?.[1];
  return token && caCertHash ? { token, caCertHash } : undefined;
}

/** upload-certs prints the key on a line of its own after "Using certificate key:". */
export function parseCertificateKey(text: string): string | undefined {
  const keys = text.match(/^[0-9a-f]{64}$/gm);
  return keys ? keys[keys.length - 1] : undefined;
}

async function certsPresent(conn: SshConnection): Promise<boolean> {
  const r = await conn.run([...KUBECTL, '-n', 'kube-system', 'get', 'secret', 'kubeadm-certs', '-o', 'name'], {
    okExitCodes: Array.from({ length: 256 }, (_, i) => i),
  });
  return r.exitCode === 0;
}

export async function ensureJoinCredentials(conn: SshConnection, input: JoinCredentialsInput): Promise<JoinCredentials> {
  const ctx = Context.current();
  const out: JoinCredentials = { certsUploaded: false, tokenCreated: false };
  const step = (stepId: string, err: unknown) => stepFailure(err, { stepId, stepIndex: 0, tail: '', attempt: ctx.info.attempt });
  if (input.newToken) {
    let text: string;
    try {
      // The description names the run, so its tokens can be deleted at its end (./tokens.ts).
      const argv = ['kubeadm', 'token', 'create', '--print-join-command', '--description', runTokenDescription(currentRunId()), '--kubeconfig', ADMIN_CONF];
      text = (await conn.run(argv)).stdoutTail;
    } catch (err) {
      throw step('credentials/token', err);
    }
    const parsed = parseJoinCommand(text);
    if (!parsed) throw step('credentials/token', new Error('kubeadm token create --print-join-command printed no token and CA hash'));
    out.joinToken = secret(parsed.token);
    out.caCertHash = secret(parsed.caCertHash);
    out.tokenCreated = true;
  }
  const upload = !input.noCerts && (input.uploadCerts || !(await certsPresent(conn)));
  if (upload) {
    // The rendered config tells kubeadm about external etcd, whose client certs must be uploaded too.
    const argv = ['kubeadm', 'init', 'phase', 'upload-certs', '--upload-certs', '--config', KUBEADM_CONFIG];
    let text: string;
    try {
      text = (await conn.run(argv)).stdoutTail;
    } catch (err) {
      throw step('credentials/upload-certs', err);
    }
    const key = parseCertificateKey(text);
    if (!key) throw step('credentials/upload-certs', new Error('kubeadm init phase upload-certs printed no certificate key'));
    out.certificateKey = secret(key);
    out.certsUploaded = true;
  }
  return out;
}
