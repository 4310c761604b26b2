/**
 * A short, stable content fingerprint (FNV-1a, 32 bit, hex). Not for security: it goes into a
 * static pod annotation so that a changed config file changes the manifest, and the kubelet
 * restarts the pod (it does not watch hostPath files).
 */
export function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
