/**
 * Certificate expiry, pure: kubeadm's `certs check-expiration -o json` (its
 * output.kubeadm.k8s.io CertificateExpirationInfo), the lines the host-side openssl reader
 * prints, the threshold arithmetic and the table `hakube certs check` shows. Every certificate
 * but the kubelet's lives one year by default and must be renewed before then: the threshold
 * says how early.
 */

export type CertKind = 'kubeadm' | 'ca' | 'etcd' | 'kubelet';

export interface CertRow {
  certificate: string;
  host: string;
  kind: CertKind;
  /** ISO time of notAfter; undefined when the certificate is missing. */
  expires?: string;
  /** Seconds left when it was read (negative: expired). */
  residualSeconds: number;
  ca: string;
  externallyManaged: boolean;
  missing: boolean;
}

export interface CertReport {
  rows: CertRow[];
  /** Hosts that could not be read, with why (the report is then incomplete). */
  errors: string[];
  /** When the rows were read (ms since epoch). */
  readAt: number;
}

interface KubeadmCert {
  name: string;
  expirationDate?: string | null;
  residualTime?: number;
  externallyManaged?: boolean;
  caName?: string;
  missing?: boolean;
}

/** kubeadm's JSON answer (residualTime is in seconds in output v1alpha3). */
export function parseKubeadmExpiration(json: string, host: string): CertRow[] {
  let doc: { kind?: string; certificates?: KubeadmCert[]; certificateAuthorities?: KubeadmCert[] };
  try {
    doc = JSON.parse(json);
  } catch {
    throw new Error(`kubeadm certs check-expiration on ${host} did not answer JSON: ${json.trim().split('\n')[0]?.slice(0, 120) ?? ''}`);
  }
  if (doc.kind !== 'CertificateExpirationInfo') throw new Error(`kubeadm certs check-expiration on ${host} answered kind ${String(doc.kind)}, not CertificateExpirationInfo`);
  const row = (c: KubeadmCert, kind: CertKind): CertRow => ({
    certificate: c.name,
    host,
    kind,
    ...(c.expirationDate && !c.missing ? { expires: c.expirationDate } : {}),
    residualSeconds: c.missing ? 0 : Math.round(c.residualTime ?? 0),
    ca: kind === 'ca' ? '' : (c.caName ?? ''),
    externallyManaged: !!c.externallyManaged,
    missing: !!c.missing,
  });
  return [...(doc.certificates ?? []).map((c) => row(c, 'kubeadm')), ...(doc.certificateAuthorities ?? []).map((c) => row(c, 'ca'))];
}

/**
 * The openssl reader's lines: `cert<TAB>name<TAB>notAfter` (openssl's `-enddate` date, e.g.
 * `Dec  2 04:14:50 2026 GMT`) or `missing<TAB>name`. `now` makes the residual.
 */
export function parseOpensslLines(text: string, host: string, kind: CertKind, caOf: (name: string) => string, now: number): CertRow[] {
  const out: CertRow[] = [];
  for (const line of text.split('\n')) {
    const [tag, name, date] = line.split('\t');
    if (tag === 'missing' && name) {
      out.push({ certificate: name, host, kind, residualSeconds: 0, ca: caOf(name), externallyManaged: kind !== 'kubelet', missing: true });
    } else if (tag === 'cert' && name && date) {
      const t = Date.parse(date.replace(/\s+/g, ' '));
      if (Number.isNaN(t)) throw new Error(`${host}: cannot read the expiry of ${name}: ${date}`);
      out.push({
        certificate: name,
        host,
        kind,
        expires: new Date(t).toISOString().replace(/\.000Z$/, 'Z'),
        residualSeconds: Math.round((t - now) / 1000),
        ca: caOf(name),
        externallyManaged: kind !== 'kubelet',
        missing: false,
      });
    }
  }
  return out;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `30d`, `12h`, `90m`, `1d12h` -> seconds; throws naming the flag on anything else. */
export function parseThreshold(value: string, flag: string): number {
  const v = value.trim();
  if (!/^(\d+[smhdw])+$/.test(v)) throw new Error(`${flag} ${JSON.stringify(value)} is not a duration; write e.g. 30d, 12h or 1d12h`);
  let total = 0;
  for (const m of v.matchAll(/(\d+)([smhdw])/g)) total += Number(m[1]) * UNITS[m[2]];
  if (total <= 0) throw new Error(`${flag} ${JSON.stringify(value)} is zero; give a positive duration, e.g. 30d`);
  return total;
}

/** The rows a renewal must act on: present, hakube's or kubeadm's to renew, inside the threshold. CAs are not renewed by `kubeadm certs renew`. */
export function dueRows(rows: readonly CertRow[], thresholdSeconds: number): CertRow[] {
  return rows.filter((r) => !r.missing && r.kind !== 'ca' && r.residualSeconds < thresholdSeconds);
}

/** Rows inside the threshold, CAs included: what makes `certs check` exit 3. */
export function expiringRows(rows: readonly CertRow[], thresholdSeconds: number): CertRow[] {
  return rows.filter((r) => !r.missing && r.residualSeconds < thresholdSeconds);
}

/** kubeadm's own residual style: 364d, 23h, 59m, expired. */
export function formatResidual(seconds: number): string {
  if (seconds <= 0) return 'expired';
  if (seconds >= 86400) return `${Math.floor(seconds / 86400)}d`;
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.max(1, Math.floor(seconds / 60))}m`;
}

/** One table: certificate, host, expires, residual, CA, externally managed (and a mark on those inside the threshold). */
export function renderCertTable(report: CertReport, thresholdSeconds: number): string {
  const head = ['CERTIFICATE', 'HOST', 'EXPIRES', 'RESIDUAL', 'CA', 'EXTERNALLY MANAGED', ''];
  const rows = [...report.rows]
    .sort((a, b) => a.host.localeCompare(b.host) || kindOrder(a.kind) - kindOrder(b.kind) || a.certificate.localeCompare(b.certificate))
    .map((r) => [
      r.certificate,
      r.host,
      r.missing ? 'missing' : (r.expires ?? ''),
      r.missing ? '' : formatResidual(r.residualSeconds),
      r.ca || (r.kind === 'ca' ? '(CA)' : ''),
      r.externallyManaged ? 'yes' : 'no',
      !r.missing && r.residualSeconds < thresholdSeconds ? '<- within threshold' : '',
    ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const out = [line(head), ...rows.map(line)];
  for (const e of report.errors) out.push(`error: ${e}`);
  return out.join('\n');
}

function kindOrder(k: CertKind): number {
  return { ca: 0, kubeadm: 1, etcd: 2, kubelet: 3 }[k];
}
