/**
 * What output travels back to the workflow: bounded (history grows with every host) and
 * scrubbed of secrets the SSH masker cannot know in advance, such as the bootstrap token and
 * certificate key that `kubeadm init --upload-certs` generates and prints.
 */
export const RESULT_TAIL_CHARS = 1500;

const BOOTSTRAP_TOKEN = /\b([a-z0-9]{6})\.[a-z0-9]{16}\b/g;
// 64 hex digits: a certificate key, unless it is a CA pin written as sha256:<hex>.
const CERT_KEY = /(?<!sha256:)\b[a-f0-9]{64}\b/g;

export function scrubSecrets(text: string): string {
  return text.replace(BOOTSTRAP_TOKEN, '$1.***').replace(CERT_KEY, '***');
}

export function clipTail(text: string, max = RESULT_TAIL_CHARS): string {
  const clipped = text.length > max ? `…${text.slice(text.length - max)}` : text;
  return scrubSecrets(clipped);
}
