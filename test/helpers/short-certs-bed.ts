/**
 * A lab deploy bed whose spec asks kubeadm for 2 h certificates (v1beta4
 * certificateValidityPeriod): everything is inside a renewal threshold of hours from the start,
 * with no clock tricks. The spec file is rewritten before anything is deployed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { loadSpec } from '../../src/spec/load';
import { deployBed, type DeployBed } from '../e2e/deploy-support';

export async function shortCertsBed(example: Parameters<typeof deployBed>[0], prefix: string): Promise<DeployBed> {
  const bed = await deployBed(example, prefix);
  try {
    const doc = parse(readFileSync(bed.ex.specPath, 'utf8')) as { spec: Record<string, unknown> };
    doc.spec.certificates = { validityPeriod: '2h' };
    writeFileSync(bed.ex.specPath, stringify(doc));
    bed.ex.spec = loadSpec(bed.ex.specPath);
    return bed;
  } catch (err) {
    await bed.close();
    throw err;
  }
}
