/**
 * vip (the stacked runbook): haproxy and keepalived as static pods on every control plane;
 * the VIP moves to a healthy one, haproxy spreads over every apiserver.
 */
import { HAPROXY_CFG, HAPROXY_MANIFEST, KEEPALIVED_CHECK, KEEPALIVED_CONF, KEEPALIVED_MANIFEST } from '../../render/paths';
import { renderHaproxyCfg } from '../../render/haproxy';
import { keepalivedPriorities, renderKeepalivedCheck, renderKeepalivedConf } from '../../render/keepalived';
import { renderHaproxyManifest, renderKeepalivedManifest } from '../../render/static-pods';
import { renderVipDrillScript } from '../../render/verify';
import { renderVipTeardownScript } from '../../render/reset';
import { renderReloadScript } from '../../render/reload';
import { controlPlanes } from '../../spec/topology';
import type { Cluster } from '../../spec/types';
import { file, runScript, script, step } from '../../phases/step';
import type { PlannedCommand } from '../../plan/types';
import type { LbDriver } from './types';

/** haproxy config and its static pod; `without` leaves a control plane out of the backends. */
export function haproxyFiles(c: Cluster, without?: string) {
  return [file(HAPROXY_CFG, renderHaproxyCfg(c, without)), file(HAPROXY_MANIFEST, renderHaproxyManifest(c), '0600'), script('lb-reload', renderReloadScript())];
}

/** Each daemon's name, reload signal and config, as render/reload.ts takes them. */
const HAPROXY_RELOAD = ['haproxy', 'USR2', HAPROXY_CFG];
const KEEPALIVED_RELOAD = ['keepalived', 'HUP', KEEPALIVED_CONF];

/** Done when every running daemon loaded its config as written; otherwise reloaded in place. */
const reloading = (...daemons: string[][]): { check: PlannedCommand; commands: PlannedCommand[] } => ({
  check: runScript('lb-reload', 'check', ...daemons.flat()),
  commands: [runScript('lb-reload', 'reload', ...daemons.flat())],
});

export const vip: LbDriver = {
  proxy: 'haproxy',
  skipReason: () => undefined,
  holders: controlPlanes,
  setupStep(c, h) {
    const lb = c.spec.loadBalancer;
    const me = keepalivedPriorities(c).find((p) => p.host === h.name);
    const conf = renderKeepalivedConf(c, h);
    const check = renderKeepalivedCheck(c);
    const how = me && me.weight ? `weight -${me.weight}` : 'check failure = FAULT';
    return step('lb', h.name, 'vip', `haproxy :${lb.port} + keepalived VIP ${lb.vip} (priority ${me?.priority}, ${how}${lb.keepalived.nopreempt ? ', nopreempt' : ''}) as static pods`, {
      files: [
        ...haproxyFiles(c),
        file(KEEPALIVED_CONF, conf),
        file(KEEPALIVED_CHECK, check, '0755'),
        file(KEEPALIVED_MANIFEST, renderKeepalivedManifest(c), '0600'),
      ],
      ...reloading(HAPROXY_RELOAD, KEEPALIVED_RELOAD),
    });
  },
  backendsStep: (c, h, phase, slug, title, without) => step(phase, h.name, slug, title, { files: haproxyFiles(c, without), ...reloading(HAPROXY_RELOAD) }),
  backendList: { path: HAPROXY_CFG, parse: (text) => [...text.matchAll(/^\s*server\s+\S+\s+(\S+:\d+)/gm)].map((m) => m[1]) },
  packages: () => [],
  // haproxy/keepalived static pods are in place before a control plane joins.
  preflightIgnores: (kind) => (kind === 'join-master' ? ['DirAvailable--etc-kubernetes-manifests'] : []),
  verifySteps: (c, m0) => [
    step('verify', m0.name, 'vip-failover', `VIP failover drill: keepalived stopped on the VIP holder, ${c.spec.loadBalancer.vip} must move and serve`, {
      files: [script('verify-vip', renderVipDrillScript(c))],
      commands: [runScript('verify-vip')],
    }),
  ],
  operatorServer: () => undefined,
  teardownStep: (c, h, phase) =>
    step(phase, h.name, 'vip', `remove keepalived and haproxy, and the VIP ${c.spec.loadBalancer.vip} from ${c.spec.loadBalancer.interface}`, {
      files: [script('vip-teardown', renderVipTeardownScript(c.spec.loadBalancer.vip ?? '', c.spec.loadBalancer.interface ?? ''))],
      commands: [runScript('vip-teardown')],
    }),
};
