/** The restore runbook per topology: order, every member restored under its own name, values quoted. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseSpec } from '../../src/spec/parse';
import { renderRestorePlan, restorePlan } from '../../src/etcd/restore-plan';

const load = (name: string) => parseSpec(readFileSync(`examples/${name}.yaml`, 'utf8'), name);

test('stacked: apiservers stop before etcd, every control plane restores under its own name, etcd starts before the apiservers', () => {
  const steps = restorePlan(load('ha-vip'), '/backups/ha-vip-1.db');
  const titles = steps.map((s) => s.title);
  const at = (re: RegExp) => titles.findIndex((t) => re.test(t));
  assert.ok(at(/stop every apiserver/) < at(/stop every etcd member \(kubeadm/));
  for (const m of ['m1', 'm2', 'm3']) {
    const s = steps.find((x) => x.on === m)!;
    assert.match(s.commands[0], new RegExp(`snapshot restore '/var/lib/hakube/restore/ha-vip-1.db' --name '${m}' --initial-cluster 'm1=https://10.30.12.203:2380,m2=https://10.30.12.204:2380,m3=https://10.30.12.205:2380'`));
  }
  assert.ok(at(/start every etcd member/) < at(/start the apiservers/));
  assert.ok(steps.find((s) => /stop every etcd/.test(s.title))!.commands[0].includes('manifests/etcd.yaml'));
});

test('external: the etcd hosts restore, systemd starts them, the etcd PKI is the one health asks with', () => {
  const text = renderRestorePlan(load('ha-local-proxy'), '/backups/snap.db');
  assert.match(text, /systemctl stop etcd/);
  assert.match(text, /systemctl start etcd/);
  assert.match(text, /--cacert '\/etc\/etcd\/pki\/ca.crt'/);
  assert.match(text, /\(cd '\/backups' && sha256sum -c 'snap.db.sha256'\)/);
  assert.doesNotMatch(text, /manifests\/etcd.yaml/);
});

test('a snapshot path with shell characters stays one quoted word', () => {
  const text = renderRestorePlan(load('ha-vip'), "/tmp/a b;rm -rf 'x'.db");
  assert.match(text, /etcdctl snapshot status '\/tmp\/a b;rm -rf '\\''x'\\''.db' -w table/);
});
