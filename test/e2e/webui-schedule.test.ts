/**
 * The certificate-renewal Schedule on the Web UI, in a real browser: `hakube server --background`
 * (dev server with the UI and the codec server), deploys of examples/ha-vip.yaml recorded by the
 * real startDeploy (no worker: `certs schedule` reads only the last applied spec, from that run's
 * input), then `hakube certs schedule` itself, created and updated with a new threshold. Headless
 * Chromium renders the Schedules list, filtered by HakubeCluster, and the schedule's page: its
 * Notes name the cluster and the current threshold, its overlap policy is Skip.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, renderedDom, visibleText } from '../helpers/browser';
import { connectClient } from '../../src/temporal/connection';
import { parseSpec } from '../../src/spec/parse';
import { startDeploy } from '../../src/client/deploy';
import { scheduleId } from '../../src/client/schedules';
import { ROOT } from './deploy-support';

const BIN = path.join(ROOT, 'bin/hakube.js');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-webui-schedule-'));
const env = { ...process.env, HAKUBE_HOME: home, HAKUBE_CODEC_KEY: randomBytes(32).toString('base64') };
let ports: { port: number; ui: number; codec: number };

const portArgs = (): string[] => ['--port', String(ports.port), '--ui-port', String(ports.ui), '--codec-port', String(ports.codec)];
const address = (): string => `127.0.0.1:${ports.port}`;

function hakube(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });
}

before(async () => {
  ports = { port: await freePort(), ui: await freePort(), codec: await freePort() };
  const r = hakube(['server', '--background', ...portArgs()]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

after(() => {
  hakube(['server', 'stop', ...portArgs()]);
  fs.rmSync(home, { recursive: true, force: true });
});

async function recordDeploy(cluster: string): Promise<void> {
  const text = fs.readFileSync(path.join(ROOT, 'examples/ha-vip.yaml'), 'utf8').replace(/name: ha-vip/, `name: ${cluster}`);
  const client = await connectClient({ address: address(), env });
  try {
    await startDeploy(client, parseSpec(text, `${cluster}.yaml`));
  } finally {
    await client.connection.close();
  }
}

function certsSchedule(cluster: string, args: string[]): string {
  const r = hakube(['certs', 'schedule', cluster, ...args, '--address', address()]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return r.stdout.trim();
}

test('Web UI: the renewal Schedule, filtered by its cluster, shows the note naming cluster and threshold, and overlap Skip', async () => {
  const [cluster, other] = ['webui-sched', 'webui-other'];
  await Promise.all([recordDeploy(cluster), recordDeploy(other)]);
  const id = scheduleId(cluster, 'certs');
  const first = `hakube: renew certificates of ${cluster} expiring within 21d (every 7d)`;
  const note = `hakube: renew certificates of ${cluster} expiring within 14d (every 7d)`;
  assert.equal(certsSchedule(cluster, ['--every', '7d', '--renew-before', '21d']), `created schedule ${id}: ${first}`);
  // Again with another threshold: updated in place, and nothing still names the old one.
  assert.equal(certsSchedule(cluster, ['--every', '7d', '--renew-before', '14d']), `updated schedule ${id}: ${note}`);
  certsSchedule(other, ['--cron', '0 3 * * 0', '--renew-before', '30d']);
  const described = hakube(['schedule', 'describe', id, '--address', address()]);
  assert.equal(described.status, 0, described.stderr);
  const desc = JSON.parse(described.stdout) as { policies: { overlap: string }; state: { note: string }; memo?: Record<string, unknown> };
  assert.equal(desc.state.note, note);
  assert.equal(desc.policies.overlap, 'SKIP');
  assert.ok(!described.stdout.includes('21d'), `schedule describe still names the old threshold: ${described.stdout}`);

  const ui = `http://127.0.0.1:${ports.ui}/namespaces/default/schedules`;
  const all = visibleText(await renderedDom(ui));
  assert.ok(all.includes(id) && all.includes(scheduleId(other, 'certs')), `the Schedules list shows both schedules: ${all.slice(-600)}`);
  const list = visibleText(await renderedDom(`${ui}?query=${encodeURIComponent(`HakubeCluster="${cluster}"`)}`));
  assert.match(list, new RegExp(`Running ${id} renewCerts `), `the list filtered by HakubeCluster shows ${id}: ${list.slice(-600)}`);
  assert.ok(!list.includes(scheduleId(other, 'certs')), `the list filtered by HakubeCluster="${cluster}" leaves out ${other}'s schedule`);

  const page = visibleText(await renderedDom(`${ui}/${encodeURIComponent(id)}`));
  const shown = page.slice(page.indexOf('Back to Schedules'));
  for (const needle of [`Notes ${note} `, 'Overlap Policy SCHEDULE_OVERLAP_POLICY_SKIP ', 'Catchup Window 1 hour ', 'Pause on Failure True ', `HakubeCluster ${cluster} `]) {
    assert.ok(shown.includes(needle), `the schedule's page shows "${needle}": ${shown.slice(0, 1500)}`);
  }
  assert.ok(!shown.includes(first), "the schedule's page no longer shows the first note");
});
