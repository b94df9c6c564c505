/**
 * How long Temporal keeps a closed workflow's history: the namespace's retention. The project sets it where it
 * creates namespaces (the dev server here, compose's setup in deploy/temporal-create-namespace.sh) to the same
 * 7 days; a cluster's operator sets it with `temporal operator namespace update --retention` (docs/operations.md,
 * "Retention"). Histories carry IDs only, so this bounds Temporal's storage, not what the engine's store keeps.
 */
import type { Connection } from '@temporalio/client';
import { msNumberToTs, tsToMs } from '@temporalio/common/lib/time';

export const NAMESPACE_RETENTION_DAYS = 7;

/** Sets the namespace's retention to `days` unless it already is. */
export async function ensureNamespaceRetention(
  connection: Connection,
  namespace: string,
  days = NAMESPACE_RETENTION_DAYS,
): Promise<void> {
  const ms = days * 86_400_000;
  const described = await connection.workflowService.describeNamespace({ namespace });
  if (tsToMs(described.config?.workflowExecutionRetentionTtl) === ms) return;
  await connection.workflowService.updateNamespace({
    namespace,
    config: { workflowExecutionRetentionTtl: msNumberToTs(ms) },
  });
}
