/** A logger whose every line is kept, for tests that search the logs for what must never be in them. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger';

export function capturedLogger(level: 'trace' | 'info' = 'trace'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger({ level }, sink), lines };
}
