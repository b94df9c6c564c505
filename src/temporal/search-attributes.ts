/**
 * Registers the engine's custom search attributes: what lets an operator type DeliveryStatus="retrying" into
 * the Web UI. Done through the operator API on every start, because the CLI's --search-attribute flag is
 * ignored once the dev server's database exists; real clusters get the same call (see docs/operations.md).
 */
import { temporal } from '@temporalio/proto';
import type { Connection } from '@temporalio/client';
import {
  AttemptCountKey,
  DeliveryStatusKey,
  EventTypeKey,
  NextAttemptAtKey,
  TenantIdKey,
  WebhookIdKey,
} from '../workflows/search-attribute-keys';

const { INDEXED_VALUE_TYPE_KEYWORD, INDEXED_VALUE_TYPE_INT, INDEXED_VALUE_TYPE_DATETIME } =
  temporal.api.enums.v1.IndexedValueType;

interface AttributeSpec {
  name: string;
  indexed: temporal.api.enums.v1.IndexedValueType;
  /** The type as the CLI's --search-attribute flag spells it. */
  cli: 'Keyword' | 'Int' | 'Datetime';
}

export const ENGINE_SEARCH_ATTRIBUTES: AttributeSpec[] = [
  ...[TenantIdKey, WebhookIdKey, EventTypeKey, DeliveryStatusKey].map((k) => ({
    name: k.name,
    indexed: INDEXED_VALUE_TYPE_KEYWORD,
    cli: 'Keyword' as const,
  })),
  { name: AttemptCountKey.name, indexed: INDEXED_VALUE_TYPE_INT, cli: 'Int' },
  { name: NextAttemptAtKey.name, indexed: INDEXED_VALUE_TYPE_DATETIME, cli: 'Datetime' },
];

/** CLI flags that register the attributes when a dev-server database is created. */
export function searchAttributeFlags(): string[] {
  return ENGINE_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${key.cli}`]);
}

/** Adds whichever of our attributes the namespace lacks; a no-op when all exist. Returns the names added. */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  const missing = ENGINE_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, key.indexed])),
  });
  await untilUsable(connection, namespace);
  return missing.map((key) => key.name);
}

/**
 * A server on SQL visibility (PostgreSQL, MySQL) maps new attributes through its namespace cache, which
 * refreshes every few seconds: until then a start that sets them is refused ("no mapping defined"). Waits
 * until a query on every attribute is accepted, at most 60 s.
 */
async function untilUsable(connection: Connection, namespace: string): Promise<void> {
  const query = ENGINE_SEARCH_ATTRIBUTES.map((key) => `${key.name} IS NULL`).join(' AND ');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace, query });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
