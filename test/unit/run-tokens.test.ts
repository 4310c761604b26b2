/**
 * Which bootstrap tokens a run deletes: read from master0's token Secrets by id and description
 * only (the secret half is never asked for), this run's and init's, never an operator's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SshConnection } from '../../src/ssh';
import { runTokenDescription, runTokenIds, UPLOAD_CERTS_TOKEN_DESCRIPTION } from '../../src/activities/tokens';
import { INIT_TOKEN_DESCRIPTION } from '../../src/render/kubeadm';

const b64 = (s: string) => Buffer.from(s).toString('base64');

for (const certsLeft of [false, true]) test(`this run's tokens and init's are chosen by description; upload-certs' only once kubeadm-certs is gone (${certsLeft ? 'still there' : 'gone'}); argv asks for ids and descriptions only`, async () => {
  const asked: string[][] = [];
  const rows = [
    [b64('abc123'), b64(runTokenDescription('run-1'))],
    [b64('def456'), b64(runTokenDescription('run-0'))],
    [b64('ghi789'), b64(INIT_TOKEN_DESCRIPTION)],
    [b64('jkl012'), ''],
    [b64('mno345'), b64(UPLOAD_CERTS_TOKEN_DESCRIPTION)],
  ];
  const conn = {
    run: async (argv: string[]) => {
      asked.push(argv);
      if (argv.includes('kubeadm-certs')) return { exitCode: 0, stdoutTail: certsLeft ? 'secret/kubeadm-certs\n' : '', stderrTail: '' };
      return { exitCode: 0, stdoutTail: rows.map((r) => r.join(' ')).join('\n') + '\n', stderrTail: '' };
    },
  } as unknown as SshConnection;
  assert.deepEqual(await runTokenIds(conn, 'run-1'), certsLeft ? ['abc123', 'ghi789'] : ['abc123', 'ghi789', 'mno345']);
  const jsonpath = asked[0].find((a) => a.startsWith('jsonpath='))!;
  assert.match(jsonpath, /token-id/);
  assert.doesNotMatch(jsonpath, /token-secret/);
});
