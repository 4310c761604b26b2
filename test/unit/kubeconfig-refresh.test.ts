/** The operator's admin.conf is replaced only by one whose client certificate lives longer (after a renewal). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeconfigCertExpiry, kubeconfigPath, refreshKubeconfig, saveKubeconfig } from '../../src/client/kubeconfig';
import { secret } from '../../src/temporal/secret';

function kubeconfig(days: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'kc-'));
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=kubernetes-admin', '-days', String(days), '-keyout', join(dir, 'k'), '-out', join(dir, 'c')]);
  assert.equal(r.status, 0, String(r.stderr));
  const data = readFileSync(join(dir, 'c')).toString('base64');
  return `apiVersion: v1\nkind: Config\nusers:\n- name: kubernetes-admin\n  user:\n    client-certificate-data: ${data}\n    client-key-data: xx\n`;
}

test('a newer admin.conf replaces the operator\'s copy (0600); an older or equal one does not', () => {
  const env = { HAKUBE_HOME: mkdtempSync(join(tmpdir(), 'home-')) };
  const short = kubeconfig(2);
  const long = kubeconfig(30);
  assert.ok(kubeconfigCertExpiry(long)! > kubeconfigCertExpiry(short)!);
  saveKubeconfig('c1', secret(short), env);
  assert.equal(refreshKubeconfig('c1', secret(short), env), undefined);
  assert.equal(refreshKubeconfig('c1', secret(long), env), kubeconfigPath('c1', env));
  assert.equal(readFileSync(kubeconfigPath('c1', env), 'utf8'), long);
  assert.equal(statSync(kubeconfigPath('c1', env)).mode & 0o777, 0o600);
  assert.equal(refreshKubeconfig('c1', secret(short), env), undefined);
  assert.equal(readFileSync(kubeconfigPath('c1', env), 'utf8'), long);
});

test('no copy yet: the fetched one is written; a kubeconfig without an embedded certificate is left alone', () => {
  const env = { HAKUBE_HOME: mkdtempSync(join(tmpdir(), 'home-')) };
  assert.equal(refreshKubeconfig('c2', secret('apiVersion: v1\nkind: Config\n'), env), undefined);
  assert.equal(refreshKubeconfig('c2', secret(kubeconfig(5)), env), kubeconfigPath('c2', env));
});
