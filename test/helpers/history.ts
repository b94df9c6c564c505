/** A workflow's whole history as searchable text, with every payload (base64 in the JSON form) decoded. */
import type { Client } from '@temporalio/client';

export async function historyText(client: Client, workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return JSON.stringify(history, (key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if ((key === 'data' || key === 'encoding' || key === 'type') && typeof value === 'string') {
      return Buffer.from(value, 'base64').toString('utf8');
    }
    return value;
  });
}
