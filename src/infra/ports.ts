/** Port helpers: pick a free loopback port for private instances, or fail early with a fix when a fixed port is taken. */
import net from 'node:net';
import { InfraError } from '../errors';

export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Throws an InfraError naming the port and the variable that moves it when something already listens there. */
export async function assertPortFree(port: number, variable: string, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new InfraError(
            'PORT_IN_USE',
            `Port ${port} on ${host} is already in use.`,
            `stop the process listening on ${port}, or set ${variable} to another port.`,
          ),
        );
      } else {
        reject(err);
      }
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
