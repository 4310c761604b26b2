/** YAML output shared by renderers: stable key order as written, no line folding, no anchors. */
import { stringify } from 'yaml';

export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Several documents in one file, as kubeadm and kubectl read them. */
export function toYamlDocs(values: unknown[]): string {
  return values.map(toYaml).join('---\n');
}
