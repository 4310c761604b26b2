/**
 * A dev server and an in-process worker whose hosts are FakeHosts for a spec, with one step
 * failing for good (e.g. `join-workers/w2`: the run waits for the operator). Registers the
 * test file's before/after hooks; the fields are there once `before` has run.
 */
import { after, before } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { bundleOnce, startTestServer, type TestServer } from '../helpers/temporal';
import { loadSpec } from '../../src/spec/load';
import { buildPlan } from '../../src/plan/build';
import { FakeHosts } from './deploy-fakes';
import { WORKFLOWS } from './deploy-support';

export interface FakeDeployBed {
  server: TestServer;
  worker: Worker;
  /** Shuts the worker down and waits for it: the server stays, with no worker polling. */
  stopWorker(): Promise<void>;
}

export function fakeDeployBed(specPath: string, failingStep: string): FakeDeployBed {
  let running: Promise<void> | undefined;
  const bed = {
    stopWorker: async () => {
      if (bed.worker?.getState() === 'RUNNING') bed.worker.shutdown();
      await running;
    },
  } as FakeDeployBed;
  before(async () => {
    bed.server = await startTestServer();
    const hosts = new FakeHosts(buildPlan(loadSpec(specPath)));
    hosts.fail.set(failingStep, Infinity);
    bed.worker = await bed.server.worker({ workflowBundle: await bundleOnce(WORKFLOWS), activities: hosts.activities() });
    running = bed.worker.run();
  });
  after(async () => {
    await bed.stopWorker();
    await bed.server?.stop();
  });
  return bed;
}
