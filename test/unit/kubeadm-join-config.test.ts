/**
 * The JoinConfiguration every joining node gets, filled as the executor fills it, is accepted by
 * the real kubeadm (`kubeadm config validate`, .tools/bin from setup), and the join argv that
 * reads it carries no secret.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildPlan } from '../../src/plan';
import { loadSpec } from '../../src/spec/load';
import { substitute } from '../../src/ssh/mask';

const KUBEADM = '.tools/bin/kubeadm';
const runtime = { joinToken: 'abcdef.0123456789abcdef', caCertHash: `sha256:${'ab'.repeat(32)}`, certificateKey: 'cd'.repeat(32) };

for (const example of ['ha-vip', 'ha-local-proxy']) {
  test(`${example}: every join's config validates with the real kubeadm, and no secret is on argv`, () => {
    const plan = buildPlan(loadSpec(`examples/${example}.yaml`));
    const joins = plan.phases.flatMap((p) => p.steps).filter((s) => s.id.endsWith('/kubeadm-join'));
    assert.ok(joins.length >= 2);
    const dir = mkdtempSync(join(tmpdir(), 'hakube-join-'));
    try {
      for (const s of joins) {
        const argv = s.commands.flatMap((c) => c.argv).join(' ');
        assert.doesNotMatch(argv, /\{\{|--token|--certificate-key|--discovery-token/, `${s.id}: ${argv}`);
        const f = s.files.find((x) => x.runtime);
        assert.ok(f, `${s.id} has a runtime-valued config file`);
        assert.equal(f.mode, '0600');
        const filled = substitute(f.content, runtime);
        assert.deepEqual(filled.missing, []);
        for (const v of Object.values(runtime).slice(0, s.id.startsWith('join-masters') ? 3 : 2)) assert.ok(filled.value.includes(v), `${s.id}: ${v}`);
        const path = join(dir, `${s.host}.yaml`);
        writeFileSync(path, filled.value);
        const r = spawnSync(KUBEADM, ['config', 'validate', '--config', path], { encoding: 'utf8' });
        assert.equal(r.status, 0, `${s.id}: ${r.stderr}${r.stdout}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
