/**
 * The cluster's last applied spec, as recorded by Temporal: the input of its latest completed
 * deploy or apply run (history is the record, decoded with the same codec), so commands that
 * name only the cluster act on what was deployed, and apply diffs against it.
 */
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { CliError, EXIT } from '../exit';
import type { Cluster } from '../spec/types';
import { actionWorkflowId } from './lock';

async function describe(client: Client, workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
}

/** `completedOnly`: ignore a run that has not finished (apply diffs against what is done). */
export async function lastAppliedSpec(client: Client, cluster: string, completedOnly = false): Promise<Cluster> {
  const runs = (await Promise.all([actionWorkflowId(cluster, 'deploy'), actionWorkflowId(cluster, 'apply')].map((id) => describe(client, id)))).filter(
    (d): d is WorkflowExecutionDescription => d !== undefined && (!completedOnly || d.status.name === 'COMPLETED'),
  );
  if (runs.length === 0) {
    throw new CliError(`no ${completedOnly ? 'completed ' : ''}deploy of ${cluster} found; deploy it first with \`hakube deploy -f <cluster.yaml>\``, EXIT.BAD_INPUT);
  }
  const last = runs.sort((a, b) => (b.closeTime ?? b.startTime).getTime() - (a.closeTime ?? a.startTime).getTime())[0];
  const history = await client.workflow.getHandle(last.workflowId, last.runId).fetchHistory();
  const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const [input] = await decodeArrayFromPayloads(client.options.loadedDataConverter, payloads as Payload[]);
  const spec = (input as { spec?: Cluster } | undefined)?.spec;
  if (!spec) throw new CliError(`the ${last.type} run of ${cluster} records no spec`, EXIT.FAILED);
  return spec;
}
