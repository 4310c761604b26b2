/**
 * Compensation on a control plane that is also an external etcd member (seed 000's k1-k3):
 * kubeadm 1.34's reset, finding no etcd manifest and no cluster config (a failed join leaves
 * none), falls back to the default etcd data dir and empties it, which would take the member's
 * data with it. The planned reset skips kubeadm's etcd phase under the external topology.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startLab, TestLab } from '../helpers/lab';
import { ok } from '../fixtures/k8s/handwork';
import { parseSpec } from '../../src/spec/parse';
import { compensationSteps } from '../../src/plan';
import { shellQuote } from '../../src/ssh/quote';

const MEMBER_FILE = '/var/lib/etcd/member/snap/db';

describe('kubeadm reset on an external etcd member', () => {
  let lab: TestLab;

  before(async () => {
    lab = await startLab({ prefix: 'k8sreset', hosts: ['k3'] });
  });
  after(async () => {
    await lab?.down();
  });

  const seedMember = () => ok(lab, 'k3', `mkdir -p ${MEMBER_FILE.replace(/\/db$/, '')} && echo data > ${MEMBER_FILE}`);
  const memberKept = async () => (await lab.ssh('k3', `test -f ${MEMBER_FILE}`)).code === 0;

  it('a plain reset empties the etcd data dir (the hazard)', async () => {
    await seedMember();
    await ok(lab, 'k3', 'kubeadm reset -f');
    assert.equal(await memberKept(), false);
  });

  it("the planned compensation's reset keeps the member's data", async () => {
    const spec = parseSpec(readFileSync('examples/ha-local-proxy.yaml', 'utf8'));
    const reset = compensationSteps(spec, 'k3')[0];
    await seedMember();
    await ok(lab, 'k3', reset.commands[0].argv.map((w) => shellQuote(w)).join(' '));
    assert.equal(await memberKept(), true);
    // and the step's own clean-up script leaves it too
    await ok(lab, 'k3', `cat > /tmp/join-reset.sh <<'EOS'\n${reset.files[0].content}EOS\nsh /tmp/join-reset.sh`);
    assert.equal(await memberKept(), true);
  });
});
