/**
 * Replays the recorded history of the fixture workflow `greet` (test/histories/greet.json, made
 * by scripts/record-history.ts): today's code must replay it, and an edited workflow that
 * reorders its commands must fail, so the test can catch a nondeterministic change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { bundleOnce } from '../helpers/temporal';
import { historyFromJSON } from '../../src/temporal/history';
import { createDataConverter } from '../../src/temporal/data-converter';

const fixtures = path.join(__dirname, '../fixtures');
const history = historyFromJSON(fs.readFileSync(path.join(__dirname, '../histories/greet.json'), 'utf8'));
// The codec is on, as in production: the plain payloads of this history pass through it.
const dataConverter = createDataConverter({ HAKUBE_CODEC_KEY: Buffer.alloc(32, 7).toString('base64') });

test('the recorded history replays against the current workflow code', async () => {
  assert.ok((history.events?.length ?? 0) > 10, 'the recording holds the whole run');
  await Worker.runReplayHistory(
    { workflowBundle: await bundleOnce(path.join(fixtures, 'workflows.ts')), dataConverter },
    history,
    'greet-recorded',
  );
});

test('a workflow changed in a nondeterministic way fails replay', async () => {
  await assert.rejects(
    Worker.runReplayHistory(
      { workflowBundle: await bundleOnce(path.join(fixtures, 'workflows-changed.ts')), dataConverter },
      history,
      'greet-recorded',
    ),
    (err: unknown) => err instanceof DeterminismViolationError,
  );
});
