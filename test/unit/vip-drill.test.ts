/**
 * The VIP failover drill's own crash safety, on this machine: the rendered script runs with
 * stand-ins for `ip` and `curl` (the VIP is "held" while keepalived's manifest is in place) and
 * is killed with SIGKILL while the manifest is moved away, as a dying worker's SSH session would
 * be. The timer it armed before the move puts the manifest back; a re-run before that puts it
 * back first (the dead drill left its lock free), so verify never passes with keepalived away.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { renderVipDrillScript } from '../../src/render/verify';
import { KEEPALIVED_MANIFEST } from '../../src/render/paths';
import { loadSpec } from '../../src/spec/load';

const spec = loadSpec(path.join(__dirname, '../../examples/ha-vip.yaml'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function bed(): { dir: string; script: string; manifest: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(path.join(tmpdir(), 'hakube-drill-'));
  const manifest = path.join(dir, 'keepalived.yaml');
  writeFileSync(manifest, 'kind: Pod\n');
  const bin = path.join(dir, 'bin');
  spawnSync('mkdir', ['-p', bin, path.join(dir, 'state')]);
  // The VIP is here while the manifest is; the apiserver answers until the manifest has moved,
  // then never again (the drill waits for it: that is where the "worker" dies).
  writeFileSync(path.join(bin, 'ip'), `#!/bin/sh\n[ -e '${manifest}' ] && echo "2: eth0 inet ${spec.spec.loadBalancer.vip}/32 scope global eth0"\nexit 0\n`);
  // Until "healthy" exists, the apiserver answers only while the manifest is in place.
  writeFileSync(path.join(bin, 'curl'), `#!/bin/sh\n[ -e '${manifest}' ] || [ -e '${dir}/healthy' ] && echo ok || sleep 30\n`);
  for (const f of ['ip', 'curl']) chmodSync(path.join(bin, f), 0o755);
  const script = path.join(dir, 'drill.sh');
  const text = renderVipDrillScript(spec, 2).split(KEEPALIVED_MANIFEST).join(manifest).split('/var/lib/hakube').join(path.join(dir, 'state'));
  writeFileSync(script, text);
  return { dir, script, manifest, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } };
}

async function killMidDrill(b: ReturnType<typeof bed>): Promise<void> {
  const drill = spawn('sh', [b.script], { env: b.env, detached: true, stdio: 'ignore' });
  for (let i = 0; existsSync(b.manifest); i++) {
    assert.ok(i < 100, 'the drill never moved the manifest');
    await sleep(50);
  }
  process.kill(-drill.pid!, 'SIGKILL');
  await new Promise((r) => drill.once('exit', r));
  assert.ok(!existsSync(b.manifest), 'still moved away right after the kill (no trap ran)');
}

test('a drill killed with SIGKILL after moving the manifest: the timer it armed first puts it back', async () => {
  const b = bed();
  await killMidDrill(b);
  for (let i = 0; !existsSync(b.manifest); i++) {
    assert.ok(i < 100, 'the timer did not put the manifest back');
    await sleep(100);
  }
  spawnSync('rm', ['-rf', b.dir]);
});

test('a re-run after a killed drill puts the manifest back before it drills, and ends with it in place', async () => {
  const b = bed();
  await killMidDrill(b);
  writeFileSync(path.join(b.dir, 'healthy'), '');
  const rerun = spawnSync('sh', [b.script], { env: b.env, encoding: 'utf8', timeout: 30_000 });
  assert.equal(rerun.status, 0, rerun.stdout + rerun.stderr);
  assert.match(rerun.stdout, /^putting back keepalived's manifest, left moved away by an interrupted drill$/m);
  assert.match(rerun.stdout, /moved off .* the apiserver answers through it/);
  assert.ok(existsSync(b.manifest));
  spawnSync('rm', ['-rf', b.dir]);
});
