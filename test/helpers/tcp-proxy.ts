/**
 * A TCP proxy on 127.0.0.1 in front of a real server, that a test can take down and bring back: an outage as
 * the client sees it (connections cut, new ones refused at once), without stopping a server other test files
 * share.
 */
import net from 'node:net';

export interface TcpProxy {
  /** host:port of the proxy. */
  address: string;
  port: number;
  down(): void;
  up(): void;
  /** Answers stop reaching the client (requests still reach the server): a server that answers late. */
  holdAnswers(): void;
  /** Nothing moves either way, connections stay open: a server that hangs. */
  hang(): void;
  /** Lets everything held through, in order. */
  release(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let isDown = false;
  let holding: 'none' | 'answers' | 'all' = 'none';
  const sockets = new Set<net.Socket>();
  interface Pair {
    client: net.Socket;
    upstream: net.Socket;
    answersFlow: boolean;
    requestsFlow: boolean;
  }
  const pairs = new Set<Pair>();
  // Unpiped, not just paused: a pipe would resume its source on the next drain.
  const apply = (pair: Pair): void => {
    const answers = holding === 'none';
    const requests = holding !== 'all';
    if (answers !== pair.answersFlow) {
      if (answers) pair.upstream.pipe(pair.client);
      else {
        pair.upstream.unpipe(pair.client);
        pair.upstream.pause();
      }
      pair.answersFlow = answers;
    }
    if (requests !== pair.requestsFlow) {
      if (requests) pair.client.pipe(pair.upstream);
      else {
        pair.client.unpipe(pair.upstream);
        pair.client.pause();
      }
      pair.requestsFlow = requests;
    }
  };
  const server = net.createServer((client) => {
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
    const pair: Pair = { client, upstream, answersFlow: true, requestsFlow: true };
    pairs.add(pair);
    client.on('close', () => pairs.delete(pair));
    apply(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    port,
    down() {
      isDown = true;
      for (const s of sockets) s.destroy();
    },
    up() {
      isDown = false;
    },
    holdAnswers() {
      holding = 'answers';
      for (const pair of pairs) apply(pair);
    },
    hang() {
      holding = 'all';
      for (const pair of pairs) apply(pair);
    },
    release() {
      holding = 'none';
      for (const pair of pairs) apply(pair);
    },
    close() {
      isDown = true;
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** host and port of "host:port" or of a mongodb:// URI's first host. */
export function hostPort(address: string): { host: string; port: number } {
  const hostAndPort = address.replace(/^mongodb:\/\//, '').split(/[/?,]/)[0] ?? '';
  const [host = '127.0.0.1', port = '0'] = hostAndPort.split(':');
  return { host, port: Number(port) };
}
