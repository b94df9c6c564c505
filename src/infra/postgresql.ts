/** The machine's PostgreSQL as a backend for the local FerretDB: where it is, and whether it answers. */
import net from 'node:net';

/** PostgreSQL as development machines run it: trust auth on 127.0.0.1, the stock `postgres` database. */
export const LOCAL_POSTGRESQL_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Whether a server accepts TCP connections at the URL's host and port (not a login: FerretDB reports that). */
export async function postgresqlAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  let hostname: string;
  let port: string;
  try {
    ({ hostname, port } = new URL(url));
  } catch {
    return false; // not a URL (the error would carry it, password included)
  }
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 5432) });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
