/**
 * Which bootstrap tokens a run deletes: read from master0's token Secrets by id and description
 * only (the secret half is never asked for), this run's and init's, never an operator's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SshConnection } from '../../src/ssh';
import { runTokenDescription, runTokenIds } from '../../src/activities/tokens';
import { INIT_TOKEN_DESCRIPTION } from '../../src/render/kubeadm';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test("this run's tokens and init's are chosen by description; others stay; argv asks for ids and descriptions only", async () => {
  const asked: string[][] = [];
  const rows = [
    [b64('abc123'), b64(runTokenDescription('run-1'))],
    [b64('def456'), b64(runTokenDescription('run-0'))],
    [b64('ghi789'), b64(INIT_TOKEN_DESCRIPTION)],
    [b64('jkl012'), ''],
  ];
  const conn = {
    run: async (argv: string[]) => {
      asked.push(argv);
      return { exitCode: 0, stdoutTail: rows.map((r) => r.join(' ')).join('\n') + '\n', stderrTail: '' };
    },
  } as unknown as SshConnection;
  assert.deepEqual(await runTokenIds(conn, 'run-1'), ['abc123', 'ghi789']);
  const jsonpath = asked[0].find((a) => a.startsWith('jsonpath='))!;
  assert.match(jsonpath, /token-id/);
  assert.doesNotMatch(jsonpath, /token-secret/);
});
