/** The closing lines of a deploy: verification results, kubeconfig path, Web UI link. */
import type { HealthReport, Progress } from '../workflows/defs';

export function renderVerification(report: HealthReport | undefined): string[] {
  if (!report) return ['verification: not run'];
  return [`verification: ${report.ok ? 'PASSED' : 'FAILED'}`, ...report.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`)];
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
