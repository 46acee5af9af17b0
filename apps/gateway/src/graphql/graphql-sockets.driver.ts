import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import type { ServerOptions } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';

/** A socket's upgrade request, with its caller's address as Express finds a request's (`request.ip`). */
export type UpgradeRequest = IncomingMessage & { ip?: string };

/**
 * Nest's Apollo driver, with graphql-ws served from a WebSocket server that takes messages of at most
 * `maxMessageBytes` (a request body's limit): Nest's own server keeps ws's default of 100 MiB, which
 * anyone may send before saying who they are, and buffers it whole. Each upgrade request is given its
 * caller's `ip` by Express's own rule, so behind GATEWAY_TRUST_PROXY a socket counts against its
 * caller's address (per-address limits), not the proxy's.
 */
export function apolloDriverWithSockets(maxMessageBytes: number): typeof ApolloDriver {
  return class ApolloDriverWithSockets extends ApolloDriver {
    private sockets: { dispose: () => unknown } | undefined;

    override async start(options: ApolloDriverConfig): Promise<void> {
      const { subscriptions, ...http } = options;
      await super.start(http);
      const graphqlWs = subscriptions?.['graphql-ws'];
      if (!graphqlWs) return;
      const server = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes });
      const served = { schema: options.schema, context: options.context, ...(graphqlWs === true ? {} : graphqlWs) } as ServerOptions;
      this.sockets = useServer(served, server);
      const express = this.httpAdapterHost.httpAdapter.getInstance<{ request: object }>();
      this.httpAdapterHost.httpAdapter.getHttpServer().on('upgrade', (request: UpgradeRequest, socket: Duplex, head: Buffer) => {
        // Other paths are the consoles' (ConsoleSockets).
        if (new URL(request.url ?? '/', 'http://gateway').pathname !== options.path) return;
        // Express's `ip` getter, read over this request's headers and socket (`trust proxy` and all).
        request.ip = (Object.assign(Object.create(express.request), { headers: request.headers, socket: request.socket, connection: request.socket }) as { ip?: string }).ip;
        server.handleUpgrade(request, socket, head, (ws) => server.emit('connection', ws, request));
      });
    }

    override async stop(): Promise<void> {
      await this.sockets?.dispose();
      await super.stop();
    }
  };
}
