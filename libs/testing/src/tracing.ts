import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan, type Sampler } from '@opentelemetry/sdk-trace';
import { registerTracing, stopTracing } from '#libs/tracing';

/** This process's spans, recorded as each ends, for a test of what a span carries on. */
export interface RecordedSpans {
  /** The spans ended so far, in the order they ended. */
  finished(): Promise<ReadableSpan[]>;
  stop(): Promise<void>;
}

/**
 * Traces this test process as a service does, its spans kept in memory; `stop()` puts the API back
 * to its no-op. Every trace is recorded, or those `sampler` picks.
 */
export async function recordSpans(sampler?: Sampler): Promise<RecordedSpans> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })], ...(sampler ? { sampler } : {}) });
  await registerTracing(provider);
  return {
    finished: async () => {
      await provider.forceFlush(); // a span is handed to the exporter a moment after it ends
      return exporter.getFinishedSpans();
    },
    stop: stopTracing,
  };
}

/** A span as a service exported it over OTLP/HTTP JSON, with the service.name of the process that sent it. */
export interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

/** What Awan's processes export, received the way a collector receives it. */
export interface OtlpReceiver {
  /** OTEL_EXPORTER_OTLP_ENDPOINT for the processes. */
  endpoint: string;
  spans(): ExportedSpan[];
  stop(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: OtlpAttribute[] }[] }[];
  }[];
}

const valueOf = (value: OtlpValue) => value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue;
const attributesOf = (attributes: OtlpAttribute[] = []) => Object.fromEntries(attributes.map((a) => [a.key, valueOf(a.value)]));

/** A local OTLP/HTTP JSON endpoint (POST /v1/traces) that keeps every span it is sent: the test's own collector. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: ExportedSpan[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
      for (const resourceSpans of body.resourceSpans ?? []) {
        const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name']);
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            received.push({
              service, traceId: span.traceId, spanId: span.spanId, name: span.name, attributes: attributesOf(span.attributes),
              ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => [...received],
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
