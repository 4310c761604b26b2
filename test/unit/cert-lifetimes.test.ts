/**
 * spec.certificates: kubeadm v1beta4's certificate lifetimes reach ClusterConfiguration only
 * when the spec sets them, so existing clusters keep kubeadm's defaults.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { parseSpec, SpecError } from '../../src/spec/parse';
import { renderKubeadmConfig } from '../../src/render/kubeadm';

const text = readFileSync('examples/ha-vip.yaml', 'utf8');
const clusterConfig = (yaml: string) =>
  parseAllDocuments(renderKubeadmConfig(parseSpec(yaml, 'x'))).map((d) => d.toJS() as Record<string, unknown>).find((d) => d.kind === 'ClusterConfiguration') as Record<string, unknown>;

test('certificate lifetimes are rendered into ClusterConfiguration when given', () => {
  const cc = clusterConfig(`${text}  certificates:\n    validityPeriod: 2h\n    caValidityPeriod: 240h\n`);
  assert.equal(cc.certificateValidityPeriod, '2h');
  assert.equal(cc.caCertificateValidityPeriod, '240h');
});

test('without spec.certificates kubeadm keeps its defaults (no field rendered)', () => {
  const cc = clusterConfig(text);
  assert.equal('certificateValidityPeriod' in cc, false);
  assert.equal('caCertificateValidityPeriod' in cc, false);
});

test('a certificate may not outlive kubeadm\'s default CA lifetime either', () => {
  assert.throws(
    () => parseSpec(`${text}  certificates:\n    validityPeriod: 90000h\n`, 'x'),
    (err: unknown) => err instanceof SpecError && err.problems.some((p) => p.startsWith('spec.certificates.validityPeriod') && p.includes("87600h, kubeadm's default")),
  );
});
