import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a server, standing in for what a client's address leads to:
 * a test moves it to another server (a standby promoted behind the same DATABASE_URL host), cuts
 * the connections through it (the address moved), or freezes them (a network partition: nothing
 * arrives, nothing is closed).
 */
export class TcpProxy {
  private readonly connections = new Set<{ client: net.Socket; server: net.Socket }>();
  private frozen = false;

  private constructor(
    private readonly listener: net.Server,
    private targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const listener = net.createServer();
    const proxy = new TcpProxy(listener, targetPort);
    listener.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.listener.address() as net.AddressInfo).port;
  }

  /** New connections go to the server on `port` (the connections open stay where they are: `cut` them). */
  retarget(port: number): void {
    this.targetPort = port;
  }

  /** Ends every connection through the proxy, as a server gone or an address moved does. */
  cut(): void {
    for (const { client, server } of this.connections) {
      client.destroy();
      server.destroy();
    }
    this.connections.clear();
  }

  /** Nothing passes either way on the connections open, and none is closed, until `thaw`. */
  freeze(): void {
    this.frozen = true;
    for (const { client, server } of this.connections) {
      client.pause();
      server.pause();
    }
  }

  thaw(): void {
    this.frozen = false;
    for (const { client, server } of this.connections) {
      client.resume();
      server.resume();
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const server = net.connect({ host: '127.0.0.1', port: this.targetPort });
    const connection = { client, server };
    this.connections.add(connection);
    const end = () => {
      this.connections.delete(connection);
      client.destroy();
      server.destroy();
    };
    for (const [from, to] of [[client, server], [server, client]]) {
      from.on('data', (chunk) => to.write(chunk));
      from.on('error', end);
      from.on('close', end);
    }
    if (this.frozen) {
      client.pause();
      server.pause();
    }
  }
}
