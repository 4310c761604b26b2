/** What a certificate renewal renews: the threshold, or everything. */
export interface RenewOptions {
  /** Renew what expires within this many seconds. */
  renewBeforeSeconds: number;
  /** Renew every control plane (and etcd member), due or not. */
  force: boolean;
}
