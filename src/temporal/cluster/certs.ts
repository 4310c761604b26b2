/**
 * The certificates of the frontend's mTLS, made with openssl on first start and kept: a CA
 * (its key never leaves HAKUBE_HOME/tls), the server's certificate for the frontend's address
 * (also used by the server's own system workers, so it carries clientAuth), and one client
 * certificate that hakube's CLI and workers present. Keys are 0600; nothing goes through a shell.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError } from '../../exit';

const DAYS_CA = '3650';
const DAYS_LEAF = '825';
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export interface TlsFiles {
  ca: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export function tlsFiles(dir: string): TlsFiles {
  const f = (n: string): string => path.join(dir, n);
  return {
    ca: f('ca.pem'),
    caKey: f('ca.key'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

/** Makes whatever is missing; a server certificate for another address is made again. */
export function ensureCertificates(dir: string, ip: string): TlsFiles {
  const t = tlsFiles(dir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fresh = !fs.existsSync(t.ca) || !fs.existsSync(t.caKey);
  if (fresh) {
    openssl(['req', '-x509', ...EC, '-keyout', t.caKey, '-out', t.ca, '-days', DAYS_CA, '-subj', '/CN=hakube Temporal CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  }
  const sans = `DNS:localhost,IP:${ip}${ip === '127.0.0.1' ? '' : ',IP:127.0.0.1'}`;
  if (fresh || !fs.existsSync(t.serverCert) || !covers(t.serverCert, ip)) {
    leaf(t, t.serverCert, t.serverKey, '/CN=localhost', sans, 'serverAuth,clientAuth');
  }
  if (fresh || !fs.existsSync(t.clientCert)) leaf(t, t.clientCert, t.clientKey, '/CN=hakube', 'DNS:hakube', 'clientAuth');
  for (const key of [t.caKey, t.serverKey, t.clientKey]) fs.chmodSync(key, 0o600);
  return t;
}

function leaf(t: TlsFiles, cert: string, key: string, subject: string, sans: string, usage: string): void {
  openssl(['req', '-x509', ...EC, '-keyout', key, '-out', cert, '-days', DAYS_LEAF, '-subj', subject, '-CA', t.ca, '-CAkey', t.caKey,
    '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
    '-addext', `extendedKeyUsage=${usage}`, '-addext', `subjectAltName=${sans}`]);
}

function covers(cert: string, ip: string): boolean {
  const text = openssl(['x509', '-in', cert, '-noout', '-ext', 'subjectAltName']);
  return text.includes(`IP Address:${ip}`);
}

function openssl(args: string[]): string {
  try {
    return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n')[0];
    throw new CliError(`openssl ${args[0]} failed: ${stderr} (is openssl installed? run \`npm run setup\`)`);
  }
}
