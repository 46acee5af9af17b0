import { Module, type DynamicModule } from '@nestjs/common';
import { ClientsModule, NatsResponseJSONDeserializer, ServerNats, Transport, type CustomStrategy, type IncomingResponse, type NatsContext } from '@nestjs/microservices';
import { headers as natsHeaders, type ConnectionOptions, type Msg as NatsMsg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { credentialsOptions } from '#libs/nats-auth';
import { partHeader, partPacket, replyPieces, REPLY_PART_HEADER } from './reply-parts.js';
import { NATS_CLIENT, ServiceClient } from './service-client.js';

/**
 * Every NATS connection of a service keeps trying to reconnect, every quarter second: a restarted
 * nats-server is back within a second or two, and a connection that gave up would leave the
 * process running but deaf until someone restarted it.
 */
export const NATS_RECONNECT = { maxReconnectAttempts: -1, reconnectTimeWait: 250 } as const;

/** Where a process's NATS is and, where it authenticates, its credentials (a `.creds` text). */
export interface NatsEndpoint {
  /** One server's URL, or a cluster's as a comma-separated list (NATS_URL): a connection moves to another when its server goes. */
  natsUrl: string;
  natsCredentials?: string;
}

/** The servers of NATS_URL: one, or a cluster's, comma-separated. */
export function natsServers(natsUrl: string): string[] {
  return natsUrl.split(',').map((server) => server.trim()).filter(Boolean);
}

/**
 * Every NATS connection of a process, from the one place: its servers, its credentials, and
 * reconnecting (to any of them). Without async traces: the client otherwise captures two stack
 * traces for every request it makes (each JetStream publish and acknowledgement is one), a few
 * per cent of a busy service's time, to name the caller in a timeout our callers name themselves.
 */
export function natsConnectionOptions(endpoint: NatsEndpoint, name: string): ConnectionOptions {
  return { servers: natsServers(endpoint.natsUrl), name, ...credentialsOptions(endpoint.natsCredentials), ...NATS_RECONNECT, noAsyncTraces: true };
}

/** NATS's own limit on a message, where its server does not say (it always does once connected). */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** A reply's packet as Nest's server hands it to be published. */
interface ReplyPacket {
  response?: unknown;
  err?: unknown;
  isDisposed?: boolean;
}

/**
 * Nest's NATS server, routing each message by its subject as it is (Nest first tries every subject
 * as a JSON pattern, so each request of ours, a plain subject, cost a SyntaxError thrown and caught),
 * and sending a reply too large for one message in parts (reply-parts.ts), which ReplyDeserializer
 * passes on and ServiceClient joins.
 */
export class SubjectServer extends ServerNats {
  override getRouteFromPattern(pattern: string): string {
    return /^[{["]/.test(pattern) ? super.getRouteFromPattern(pattern) : pattern;
  }

  override getPublisher(message: NatsMsg, id: string, context: NatsContext): (packet: ReplyPacket) => unknown {
    if (!message.reply) return super.getPublisher(message, id, context);
    return (packet) => {
      // Nest's serializer writes JSON text; NATS's limit counts its bytes.
      const whole = this.serializer.serialize({ ...packet, id }) as { data: string; headers?: MsgHdrs };
      const maxPayload = this.unwrap<NatsConnection>().info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
      const pieces = replyPieces(Buffer.from(whole.data), maxPayload);
      if (pieces.length === 1) return message.respond(pieces[0], { headers: whole.headers });
      for (const [i, piece] of pieces.entries()) {
        const headers = natsHeaders();
        headers.set(REPLY_PART_HEADER, partHeader(id, i === pieces.length - 1 && packet.isDisposed === true));
        message.respond(piece, { headers });
      }
    };
  }
}

/** Nest's reader of a reply's message, which passes a part of a reply (reply-parts.ts) on as its bytes, unread. */
export class ReplyDeserializer extends NatsResponseJSONDeserializer {
  override deserialize(message: NatsMsg, options?: Record<string, unknown>): IncomingResponse | Promise<IncomingResponse> {
    const part = message.headers?.get(REPLY_PART_HEADER);
    return part ? partPacket(part, message.data) : super.deserialize(message, options);
  }
}

/**
 * How a service listens for requests: its subjects in one queue group named after it,
 * so replicas share the load and each request is answered once.
 */
export function natsListenerOptions(service: string, endpoint: NatsEndpoint): CustomStrategy {
  return { strategy: new SubjectServer({ ...natsConnectionOptions(endpoint, `awan-${service}`), queue: service }) };
}

/** Provides ServiceClient, for requests to other services. */
@Module({})
export class MessagingModule {
  static forRoot(options: { service: string } & NatsEndpoint): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: [
        ClientsModule.register([{ name: NATS_CLIENT, transport: Transport.NATS, options: { ...natsConnectionOptions(options, `awan-${options.service}-client`), deserializer: new ReplyDeserializer() } }]),
      ],
      providers: [ServiceClient],
      exports: [ServiceClient],
    };
  }
}
