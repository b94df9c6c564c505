/**
 * Telling "a server we need did not answer" apart from every other failure, so the API can answer 503 with
 * Retry-After (the client retries the same request) instead of a 500 that reads like a bug.
 */
import { isGrpcServiceError, type Client } from '@temporalio/client';
import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';

/** gRPC codes that mean the server was not reached or did not answer in time. */
const UNREACHED_GRPC_CODES = new Set([
  4, // DEADLINE_EXCEEDED
  14, // UNAVAILABLE
]);

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && chain.length < 5; e = (e as { cause?: unknown }).cause) {
    chain.push(e);
  }
  return chain;
}

/**
 * FerretDB on SQLite, saturated: a write that waited its 10-second busy timeout for SQLite's one write lock
 * fails with SQLITE_BUSY (a 1,200-webhook fan-out made a PATCH answer 500 after 10.7 s). Busy, not broken:
 * the same request succeeds later.
 */
const STORE_BUSY = /SQLITE_BUSY|SQLITE_LOCKED|database (table )?is locked/i;

export function unavailableDependency(err: unknown): 'store' | 'temporal' | undefined {
  for (const e of causes(err)) {
    if (
      e instanceof MongoNetworkError ||
      e instanceof MongoServerSelectionError ||
      e instanceof MongoNotConnectedError ||
      e instanceof MongoTopologyClosedError ||
      (e instanceof MongoServerError && STORE_BUSY.test(e.message))
    ) {
      return 'store';
    }
    if (isGrpcServiceError(e) && UNREACHED_GRPC_CODES.has(e.code)) return 'temporal';
  }
  return undefined;
}

/** Runs a Temporal call with a deadline: an unreachable server fails the call in time, not after minutes of retries. */
export function withTemporalDeadline<T>(temporal: Client, timeoutMs: number, call: () => Promise<T>): Promise<T> {
  return temporal.withDeadline(Date.now() + timeoutMs, call);
}
