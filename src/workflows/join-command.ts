/**
 * joinCommand: fresh join material from master0 for a node joined by hand (`hakube
 * join-command`): a new bootstrap token and, for a control plane, a freshly uploaded
 * certificate key. The values travel wrapped as secrets, so history holds them encrypted only.
 */
import type { JoinCredentials, SpecInput } from '../activities/types';
import { activitiesFor } from './proxies';

export interface JoinCommandInput {
  spec: SpecInput;
  controlPlane: boolean;
}

export async function joinCommand(input: JoinCommandInput): Promise<JoinCredentials> {
  const acts = activitiesFor({ hostAttempts: 3 });
  const what = input.controlPlane ? 'kubeadm token create + kubeadm init phase upload-certs --upload-certs' : 'kubeadm token create --print-join-command';
  return acts.ensureJoinCredentials.executeWithOptions({ summary: `join-command: ${what}` }, [
    { spec: input.spec, newToken: true, uploadCerts: input.controlPlane, noCerts: !input.controlPlane },
  ]);
}
