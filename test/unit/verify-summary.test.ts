import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asciiTable, summarizeCheck } from '../../src/activities/verify-summary';
import { verifyKind } from '../../src/phases/verify';

const NODES = ['m1', 'm2', 'm3', 'w1', 'w2'];
const ctx = { nodes: NODES, host: 'm1' };

const GET_NODES = `node/m1 condition met
node/m2 condition met
NAME   STATUS     ROLES           AGE   VERSION   INTERNAL-IP    EXTERNAL-IP   OS-IMAGE             KERNEL-VERSION   CONTAINER-RUNTIME
m1     Ready      control-plane   12m   v1.34.1   10.30.12.203   <none>        Ubuntu 24.04.1 LTS   6.1.0            containerd://1.7.24
m2     Ready      control-plane   10m   v1.34.1   10.30.12.204   <none>        Ubuntu 24.04.1 LTS   6.1.0            containerd://1.7.24
m3     Ready,SchedulingDisabled   control-plane   9m   v1.34.1   10.30.12.205   <none>   Ubuntu 24.04.1 LTS   6.1.0   containerd://1.7.24
w1     Ready      <none>          7m    v1.34.1   10.30.12.206   <none>        Ubuntu 24.04.1 LTS   6.1.0            containerd://1.7.24
w2     NotReady   <none>          7m    v1.34.1   10.30.12.207   <none>        Ubuntu 24.04.1 LTS   6.1.0            containerd://1.7.24
`;

const ETCD = `https://10.30.12.203:2379 is healthy: successfully committed proposal: took = 2.104ms
https://10.30.12.205:2379 is healthy: successfully committed proposal: took = 2.51ms
https://10.30.12.204:2379 is healthy: successfully committed proposal: took = 2.887ms
+------------------+---------+------+---------------------------+---------------------------+------------+
|        ID        | STATUS  | NAME |        PEER ADDRS         |       CLIENT ADDRS        | IS LEARNER |
+------------------+---------+------+---------------------------+---------------------------+------------+
| 2b4c8e0f1a2d3c4e | started |   m1 | https://10.30.12.203:2380 | https://10.30.12.203:2379 |      false |
| 5d6e7f8091a2b3c4 | started |   m2 | https://10.30.12.204:2380 | https://10.30.12.204:2379 |      false |
| aba2dc53902e6378 | started |   m3 | https://10.30.12.205:2380 | https://10.30.12.205:2379 |      false |
+------------------+---------+------+---------------------------+---------------------------+------------+
+---------------------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+
|         ENDPOINT          |        ID        | VERSION | DB SIZE | IS LEADER | IS LEARNER | RAFT TERM | RAFT INDEX | RAFT APPLIED INDEX | ERRORS |
+---------------------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+
| https://10.30.12.203:2379 | 2b4c8e0f1a2d3c4e |  3.5.16 |  4.1 MB |      true |      false |         2 |       1834 |               1834 |        |
| https://10.30.12.204:2379 | 5d6e7f8091a2b3c4 |  3.5.16 |  4.1 MB |     false |      false |         2 |       1834 |               1834 |        |
| https://10.30.12.205:2379 | aba2dc53902e6378 |  3.5.16 |  4.1 MB |     false |      false |         2 |       1834 |               1834 |        |
+---------------------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+
`;

test('nodes: counted from kubectl get nodes against the spec, the ones not Ready named', () => {
  assert.equal(summarizeCheck('nodes-ready', GET_NODES, ctx), '4/5 nodes Ready; not Ready: w2 NotReady');
  const all = GET_NODES.replace('NotReady', 'Ready   ');
  assert.equal(summarizeCheck('nodes-ready', all, ctx), '5/5 nodes Ready');
  assert.equal(summarizeCheck('nodes-ready', all, { ...ctx, nodes: [...NODES, 'w3'] }), '5/6 nodes Ready; not Ready: w3 missing');
  assert.equal(summarizeCheck('nodes-ready', 'node/m1 condition met', ctx), undefined, 'no table: no words, the caller keeps its fallback');
});

test('etcd: members, health and the leader by name from etcdctl tables', () => {
  assert.equal(summarizeCheck('etcd-health', ETCD, ctx), 'etcd: 3 members, all healthy, leader m1');
  const m2leads = ETCD.replace('|      true |', '|     false |').replace(/(5d6e7f8091a2b3c4 \| {2}3\.5\.16 \| {2}4\.1 MB \|) {5}false/, '$1      true');
  assert.equal(summarizeCheck('etcd-health', m2leads, ctx), 'etcd: 3 members, all healthy, leader m2');
  const oneDown = ETCD.replace('https://10.30.12.205:2379 is healthy', 'https://10.30.12.205:2379 is unhealthy').replace('| started |   m3', '| unstarted |   m3');
  assert.equal(summarizeCheck('etcd-health', oneDown, ctx), 'etcd: 3 members, 2/3 endpoints healthy, leader m1, not started: m3 unstarted');
  assert.equal(asciiTable(ETCD, 'ID').length, 3);
  assert.equal(asciiTable(ETCD, 'ENDPOINT')[0]['IS LEADER'], 'true');
});

test('healthz, VIP drill and test workload in words', () => {
  assert.equal(summarizeCheck('healthz', 'GET https://10.30.12.249:8443/healthz: ok\n', ctx), 'apiserver /healthz ok through 10.30.12.249:8443');
  const drill = 'VIP 10.30.12.249 moved off m1 in 3.1 s; the apiserver answers through it\n';
  assert.equal(summarizeCheck('vip-failover', drill, { ...ctx, vipHolder: 'm2' }), 'VIP 10.30.12.249 moved m1 -> m2 in 3.1 s; the apiserver answers through it');
  assert.equal(
    summarizeCheck('vip-failover', '10.30.12.249 is held by another control plane and answers; drill runs where the VIP is', { ...ctx, vipHolder: 'm3' }),
    'VIP 10.30.12.249 is held by m3, not m1, and answers; no drill from here',
  );
  const workload = `deployment.apps/hakube-verify created
service/hakube-verify created
NAME            READY   UP-TO-DATE   AVAILABLE   AGE
hakube-verify   0/3     3            0           0s
NAME            TYPE        CLUSTER-IP      EXTERNAL-IP   PORT(S)   AGE
hakube-verify   ClusterIP   10.104.12.201   <none>        80/TCP    0s
`;
  assert.equal(summarizeCheck('test-workload', workload, ctx), 'deployment hakube-verify (3 replicas) and service hakube-verify (ClusterIP 10.104.12.201) created through the API, then removed');
});

test('a verify step id names its kind', () => {
  assert.equal(verifyKind('verify/m1/etcd-health'), 'etcd-health');
  assert.equal(verifyKind('verify/w1/healthz'), 'healthz');
  assert.equal(verifyKind('prep/m1/sysctl'), undefined);
});
