/**
 * The cluster's last applied spec, as recorded by Temporal: the input of its latest deploy
 * run (history is the record, decoded with the same codec), so commands that name only the
 * cluster act on what was deployed.
 */
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { CliError, EXIT } from '../cli/exit';
import type { Cluster } from '../spec/types';
import { deployWorkflowId } from '../workflows/defs';
import type { DeployInput } from '../workflows/deploy';

export async function lastAppliedSpec(client: Client, cluster: string): Promise<Cluster> {
  let history;
  try {
    history = await client.workflow.getHandle(deployWorkflowId(cluster)).fetchHistory();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') throw new CliError(`no deploy of ${cluster} found; deploy it first with \`hakube deploy -f <cluster.yaml>\``, EXIT.BAD_INPUT);
    throw err;
  }
  const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const [input] = await decodeArrayFromPayloads(client.options.loadedDataConverter, payloads as Payload[]);
  const spec = (input as DeployInput | undefined)?.spec;
  if (!spec) throw new CliError(`the deploy of ${cluster} records no spec`, EXIT.FAILED);
  return spec;
}
