/**
 * local-proxy (the external-etcd runbook): nginx on every node, 127.0.0.1:port -> every
 * control plane, as a systemd unit.
 */
import { HAKUBE_DIR, NGINX_PROXY_CONF, NGINX_PROXY_DIR, NGINX_PROXY_UNIT } from '../../render/paths';
import { renderUnitTeardownScript } from '../../render/reset';
import { renderNginxConf, renderNginxUnit } from '../../render/nginx';
import { NGINX_PACKAGES } from '../../render/system';
import { renderTestWorkload, renderTestWorkloadScript } from '../../render/verify';
import { controlPlanes, isControlPlane, isWorker, nodes } from '../../spec/topology';
import type { Cluster, HostSpec } from '../../spec/types';
import type { PhaseName, PlannedStep } from '../../plan/types';
import { cmd, file, runScript, script, step } from '../../phases/step';
import { unitScripts } from '../units';
import type { LbDriver } from './types';

function nginxStep(c: Cluster, h: HostSpec, phase: PhaseName, slug: string, title: string | undefined, without?: string): PlannedStep {
  const lb = c.spec.loadBalancer;
  const backends = controlPlanes(c).filter((x) => x.name !== without).length;
  const what = `nginx L4 proxy 127.0.0.1:${lb.port} -> ${backends} apiserver(s) on :${lb.apiserverBindPort} (systemd kube-apiserver-proxy)`;
  return step(phase, h.name, slug, title ?? what, {
    files: [file(NGINX_PROXY_CONF, renderNginxConf(c, without)), file(NGINX_PROXY_UNIT, renderNginxUnit()), ...unitScripts()],
    check: runScript('unit-ok', 'kube-apiserver-proxy', NGINX_PROXY_CONF, NGINX_PROXY_UNIT),
    commands: [cmd('nginx', '-t', '-q', '-c', NGINX_PROXY_CONF), runScript('unit-apply', '--reload', 'kube-apiserver-proxy', NGINX_PROXY_CONF, NGINX_PROXY_UNIT)],
  });
}

export const localProxy: LbDriver = {
  proxy: 'nginx',
  skipReason: () => undefined,
  holders: nodes,
  setupStep: (c, h) => nginxStep(c, h, 'lb', 'nginx', undefined),
  backendsStep: (c, h, phase, slug, title, without) => nginxStep(c, h, phase, slug, title, without),
  backendList: { path: NGINX_PROXY_CONF, parse: (text) => [...text.matchAll(/^\s*server\s+([^\s;{]+:\d+)/gm)].map((m) => m[1]) },
  packages: (_c, h) => (isControlPlane(h) || isWorker(h) ? NGINX_PACKAGES : []),
  preflightIgnores: () => [],
  verifySteps: (c, m0) => {
    const manifest = `${HAKUBE_DIR}/verify-workload.yaml`;
    return [
      step('verify', m0.name, 'test-workload', 'test deployment and service created through the API (then removed)', {
        files: [file(manifest, renderTestWorkload(c)), script('verify-workload', renderTestWorkloadScript(c, manifest))],
        commands: [runScript('verify-workload')],
      }),
    ];
  },
  // admin.conf points at 127.0.0.1, which only works on the nodes: the operator's copy goes to master0.
  operatorServer: (c, m0) => `https://${m0.address}:${c.spec.loadBalancer.apiserverBindPort}`,
  teardownStep: (_c, h, phase) =>
    step(phase, h.name, 'nginx', 'remove the nginx apiserver proxy (systemd kube-apiserver-proxy)', {
      files: [script('proxy-teardown', renderUnitTeardownScript('kube-apiserver-proxy', NGINX_PROXY_UNIT, [NGINX_PROXY_DIR]))],
      commands: [runScript('proxy-teardown')],
    }),
};
