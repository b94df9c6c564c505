/** Which failures are "a server we need did not answer" (the API's 503 + Retry-After), not a bug (500). Pure. */
import { MongoNetworkError, MongoServerError } from 'mongodb';
import { unavailableDependency } from '../../src/temporal/unavailable';

const serverError = (errmsg: string, code = 1) => new MongoServerError({ errmsg, code, ok: 0 });

test('a FerretDB/SQLite store too busy to take a write is unavailable, not broken', () => {
  expect(unavailableDependency(serverError('database is locked (5) (SQLITE_BUSY)'))).toBe('store');
  expect(unavailableDependency(serverError('sqlite: step: SQLITE_BUSY_SNAPSHOT'))).toBe('store');
  expect(unavailableDependency(new Error('wrapped', { cause: serverError('database is locked') }))).toBe('store');
});

test('a network failure is unavailable; a server error of another kind is not', () => {
  expect(unavailableDependency(new MongoNetworkError('connection reset'))).toBe('store');
  expect(unavailableDependency(serverError('E11000 duplicate key error', 11000))).toBeUndefined();
  expect(unavailableDependency(serverError('unknown operator: $foo', 2))).toBeUndefined();
  expect(unavailableDependency(new Error('a bug'))).toBeUndefined();
});
