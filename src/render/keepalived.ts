/**
 * keepalived for the VIP, with its priority arithmetic done for the user.
 *
 * Control plane i (file order, from 0) gets priority base - i*step. When its check script
 * fails, its priority drops by `weight`: to fall below every healthy backup, even the lowest
 * (base - (n-1)*step), weight must exceed the spread (n-1)*step, so weight = spread + 1.
 * That demotion only moves the VIP if backups may preempt. With nopreempt (the runbook's
 * "non-preemptive" mode, so a recovered master does not steal the VIP back) a lower master is
 * never preempted, so there a failing check puts the instance in FAULT (weight 0), which
 * releases the VIP at once.
 */
import { controlPlanes } from '../spec/topology';
import type { Cluster, HostSpec } from '../spec/types';
import { shellQuote as q } from '../ssh/quote';
import { KEEPALIVED_CHECK } from './paths';

export interface VrrpPlan {
  host: string;
  priority: number;
  /** Subtracted from priority while the check fails (rendered as `weight -N`); 0 = FAULT. */
  weight: number;
}

export function keepalivedPriorities(c: Cluster): VrrpPlan[] {
  const k = c.spec.loadBalancer.keepalived;
  const cps = controlPlanes(c);
  const spread = (cps.length - 1) * k.priorityStep;
  const weight = k.nopreempt ? 0 : spread + 1;
  return cps.map((h, i) => ({ host: h.name, priority: k.priorityBase - i * k.priorityStep, weight }));
}

export function renderKeepalivedConf(c: Cluster, host: HostSpec): string {
  const lb = c.spec.loadBalancer;
  const k = lb.keepalived;
  const me = keepalivedPriorities(c).find((p) => p.host === host.name);
  if (!me) throw new Error(`${host.name} is not a control plane`);
  const peers = controlPlanes(c).filter((h) => h.name !== host.name);
  const weightLine = me.weight ? `\n    weight -${me.weight}` : '';
  return `! Rendered by hakube for cluster ${c.metadata.name} on ${host.name}: VIP ${lb.vip} on ${lb.interface}
global_defs {
    router_id ${host.name}
    enable_script_security
    script_user root
}

vrrp_script check_apiserver {
    script "${KEEPALIVED_CHECK}"
    interval ${k.checkInterval}
    timeout ${Math.max(1, k.checkInterval - 1)}
    fall ${k.fall}
    rise ${k.rise}${weightLine}
}

vrrp_instance VI_${lb.virtualRouterId} {
    state BACKUP
    interface ${lb.interface}
    virtual_router_id ${lb.virtualRouterId}
    priority ${me.priority}
    advert_int 1${k.nopreempt ? '\n    nopreempt' : ''}
    unicast_src_ip ${host.address}
    unicast_peer {
${peers.map((p) => `        ${p.address}`).join('\n')}
    }
    virtual_ipaddress {
        ${lb.vip}
    }
    track_script {
        check_apiserver
    }
}
`;
}

/** Healthy = the apiserver answers through the local haproxy, and through the VIP when we hold it. */
export function renderKeepalivedCheck(c: Cluster): string {
  const lb = c.spec.loadBalancer;
  return `#!/bin/sh
# Rendered by hakube: keepalived's health check for cluster ${c.metadata.name} (VIP).
PORT=${q(String(lb.port))}
VIP=${q(lb.vip ?? '')}

probe() {
    if command -v curl >/dev/null 2>&1; then
        curl --silent --insecure --max-time 2 -o /dev/null "$1"
    else
        wget -q --no-check-certificate -T 2 -O /dev/null "$1"
    fi
}

fail() {
    echo "*** $*" >&2
    exit 1
}

probe "https://127.0.0.1:$PORT/healthz" || fail "GET https://127.0.0.1:$PORT/healthz"
if ip -o addr show | grep -qw "$VIP"; then
    probe "https://$VIP:$PORT/healthz" || fail "GET https://$VIP:$PORT/healthz"
fi
exit 0
`;
}
