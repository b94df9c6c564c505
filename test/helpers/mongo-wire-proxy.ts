/**
 * A proxy on 127.0.0.1 in front of the store that reads the MongoDB wire protocol: it can hold the commands a
 * test chooses (say every `find`) while `ping` and `hello` pass, which is how a wedged FerretDB looks from
 * outside (its port open, its handshakes answered, every query waiting for a backend connection). The driver
 * sends one command at a time on a connection, so holding a command holds that connection and nothing else.
 */
import net from 'node:net';

export interface WireCommand {
  /** The command's name: the first key of its body (`find`, `insert`, `ping`, ...); '' for a legacy opcode. */
  name: string;
  /** The collection it names, when its first value is a string. */
  collection?: string;
  /** How many documents an `insert` carries in its document sequence (how the driver sends insertMany). */
  documents?: number;
  at: number;
}

export interface MongoWireProxy {
  /** The original URI with its host and port replaced by the proxy's. */
  uri: string;
  /** Every command that reached the proxy, held or not, in order. */
  commands: WireCommand[];
  /** From now on, commands that match wait in the proxy (and so does their connection). */
  hold(match: (command: WireCommand) => boolean): void;
  /** Commands held so far that have not been let through. */
  held(): WireCommand[];
  /** Lets every held command through, in order, and holds nothing more. */
  release(): void;
  close(): Promise<void>;
}

const OP_MSG = 2013;

/** Name, collection and document count of one OP_MSG; other opcodes (the driver's legacy hello) pass unnamed. */
export function describeMessage(message: Buffer, at: number): WireCommand {
  const opCode = message.readInt32LE(12);
  if (opCode !== OP_MSG) return { name: '', at };
  let offset = 20; // header (16) + flagBits (4)
  let command: WireCommand = { name: '', at };
  let sequenced = 0;
  while (offset < message.length) {
    const kind = message.readUInt8(offset);
    offset += 1;
    const size = message.readInt32LE(offset);
    if (kind === 0) {
      command = { ...describeBody(message.subarray(offset, offset + size)), at };
    } else {
      // Kind 1: a document sequence (size, identifier, documents): count its documents.
      let inner = offset + 4;
      inner = message.indexOf(0, inner) + 1;
      while (inner < offset + size) {
        inner += message.readInt32LE(inner);
        sequenced++;
      }
    }
    offset += size;
    // The checksum, if flagged, is the last 4 bytes: stop before it.
    if ((message.readUInt32LE(16) & 1) === 1 && offset >= message.length - 4) break;
  }
  if (command.name === 'insert') command.documents = sequenced;
  return command;
}

function describeBody(body: Buffer): Omit<WireCommand, 'at'> {
  const type = body.readUInt8(4);
  const nameEnd = body.indexOf(0, 5);
  const name = body.toString('utf8', 5, nameEnd);
  if (type !== 0x02) return { name };
  const length = body.readInt32LE(nameEnd + 1);
  return { name, collection: body.toString('utf8', nameEnd + 5, nameEnd + 5 + length - 1) };
}

export async function startMongoWireProxy(uri: string): Promise<MongoWireProxy> {
  const target = new URL(uri);
  const commands: WireCommand[] = [];
  let match: ((command: WireCommand) => boolean) | undefined;
  const queues = new Set<{ queue: { bytes: Buffer; command: WireCommand }[]; flush: () => void }>();
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(client);
    // Messages this connection sent while a hold was on, in order: once one waits, all after it wait too.
    const connection = {
      queue: [] as { bytes: Buffer; command: WireCommand }[],
      flush() {
        for (const item of connection.queue) upstream.write(item.bytes);
        connection.queue = [];
      },
    };
    queues.add(connection);
    client.on('close', () => queues.delete(connection));
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const length = pending.readInt32LE(0);
        const bytes = pending.subarray(0, length);
        pending = pending.subarray(length);
        const command = describeMessage(bytes, Date.now());
        commands.push(command);
        if (connection.queue.length > 0 || match?.(command)) connection.queue.push({ bytes, command });
        else upstream.write(bytes);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const proxied = new URL(uri);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  return {
    uri: proxied.toString(),
    commands,
    hold(next) {
      match = next;
    },
    held() {
      return [...queues].flatMap((c) => c.queue.map((item) => item.command));
    },
    release() {
      match = undefined;
      for (const connection of queues) connection.flush();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
