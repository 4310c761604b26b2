/** The closing lines of a deploy: verification results, kubeconfig path, Web UI link. */
import type { HealthCheck, HealthReport, Progress } from '../workflows/defs';

/** More passed checks than this of one kind and detail print as one line (a 5,000-node verify). */
export const VERIFY_LINES_PER_KIND = 12;

export function renderVerification(report: HealthReport | undefined): string[] {
  if (!report) return ['verification: not run'];
  const line = (c: HealthCheck) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`;
  // Passed per-host checks by kind and words; failed ones always get a line each.
  const kindOf = (c: HealthCheck) => (c.ok && c.host !== undefined && c.name.startsWith(`${c.host}: `) ? JSON.stringify([c.name.slice(c.host.length + 2), c.detail]) : undefined);
  const counts = new Map<string, number>();
  for (const c of report.checks) {
    const k = kindOf(c);
    if (k) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const out = [`verification: ${report.ok ? 'PASSED' : 'FAILED'}`];
  const printed = new Set<string>();
  for (const c of report.checks) {
    const k = kindOf(c);
    const n = k ? (counts.get(k) ?? 0) : 0;
    if (!k || n <= VERIFY_LINES_PER_KIND) out.push(line(c));
    else if (!printed.has(k)) {
      printed.add(k);
      out.push(`  ok   ${c.name.slice(c.host!.length + 2)}: ${c.detail} (${n.toLocaleString('en-US')} hosts)`);
    }
  }
  return out;
}

export function renderSummary(p: Progress, link: string): string {
  const lines: string[] = [];
  if (p.state === 'done') {
    lines.push(...renderVerification(p.verification));
    if (p.kubeconfig) lines.push(`kubeconfig: ${p.kubeconfig}   (export KUBECONFIG=${p.kubeconfig})`);
  }
  const skipped = p.phases.flatMap((ph) => ph.hosts.filter((h) => h.status === 'skipped').map((h) => h.host));
  if (skipped.length) lines.push(`skipped hosts: ${[...new Set(skipped)].join(', ')}`);
  if (p.state === 'failed' && p.error) lines.push(`failed: ${p.error}`);
  if (p.state === 'aborted') lines.push(`aborted: the reverse cleanup ran${p.error ? ` (${p.error})` : ''}`);
  lines.push(`Web UI: ${link}`);
  return lines.join('\n');
}
