/**
 * Activity proxies with hakube's timeouts and retry policy. Hangs are caught by the heartbeat
 * timeout (the activities heartbeat while a command runs), not by a fixed long timeout; the
 * start-to-close bound is only a backstop for a host phase that keeps heartbeating forever.
 */
import { proxyActivities, type ActivityInterfaceFor, type ActivityOptions } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { HakubeActivities } from '../activities/types';

export interface DeployOptions {
  /** Attempts of one host's phase run before the workflow compensates / asks the operator (default 5). */
  hostAttempts?: number;
  /** First retry delay, e.g. "5s"; doubles up to 1m. */
  retryInterval?: Duration;
  heartbeatTimeout?: Duration;
  /** Workers joined at once (default: the plan's concurrency for join-workers). */
  workerConcurrency?: number;
  /**
   * Renew join credentials older than this (default: certificate key 110 min, token 23 h, inside
   * kubeadm's 2 h and 24 h TTLs). Lower it where a policy wants shorter-lived join material.
   */
  credentialMaxAgeMs?: { certKeyMs: number; tokenMs: number };
  /** A phase with more hosts than this runs them in host-group child workflows (default 200). */
  hostsPerGroup?: number;
}

// Dropped SSH connections and apt/dpkg locks pass within a minute or so: 5 attempts span ~75 s.
const DEFAULT_ATTEMPTS = 5;
// Errors that a retry cannot fix: the operator must act (src/ssh maps its typed errors to these).
const NON_RETRYABLE = ['SshAuthError', 'HostKeyMismatchError', 'HostKeyUnknownError', 'SshHandshakeError', 'InvalidCommandError', 'PreconditionUnmet', 'SpecInvalid'];

export function activitiesFor(options: DeployOptions = {}): ActivityInterfaceFor<HakubeActivities> {
  const base: ActivityOptions = {
    startToCloseTimeout: '45m',
    heartbeatTimeout: options.heartbeatTimeout ?? '60s',
    retry: {
      maximumAttempts: options.hostAttempts ?? DEFAULT_ATTEMPTS,
      initialInterval: options.retryInterval ?? '5s',
      backoffCoefficient: 2,
      maximumInterval: '1m',
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  };
  return proxyActivities<HakubeActivities>(base);
}

/** Compensation must finish: more attempts than a forward step. */
export function compensationActivitiesFor(options: DeployOptions = {}): ActivityInterfaceFor<HakubeActivities> {
  return proxyActivities<HakubeActivities>({
    startToCloseTimeout: '20m',
    heartbeatTimeout: options.heartbeatTimeout ?? '60s',
    retry: { maximumAttempts: 6, initialInterval: options.retryInterval ?? '5s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE },
  });
}
