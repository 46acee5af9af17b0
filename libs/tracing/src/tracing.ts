import { context, diag, DiagLogLevel, propagation, trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace';

/** Where a process sends its spans and how (README, Configuration: the OTEL_* variables). */
export interface TracingConfig {
  /** The OTLP/HTTP traces endpoint: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, or OTEL_EXPORTER_OTLP_ENDPOINT + `v1/traces`. */
  url: string;
  /** Which traces are kept (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG): a share of new traces, and whether a carried decision is followed. */
  sampler: { ratio: number; parentBased: boolean };
  /** The batch span processor (OTEL_BSP_*). */
  batch: { scheduledDelayMs: number; maxQueueSize: number; maxExportBatchSize: number; exportTimeoutMs: number };
}

/** A registered tracer provider: the SDK's, or a test's. */
export type ProcessTracerProvider = TracerProvider & { shutdown(): Promise<void> };

/** How long stopping waits for the last spans to leave: a collector that is down does not hold a process's exit. */
const FLUSH_ON_STOP_MS = 5000;

let registered: { provider: ProcessTracerProvider; tracer: Tracer } | null = null;

/** Whether this process traces: only once startTracing (or a test) registered a provider; until then nothing but the API's no-op runs. */
export function tracingEnabled(): boolean {
  return registered !== null;
}

/** Awan's tracer from the registered provider (the API's no-op one without). */
export function awanTracer(): Tracer {
  return registered?.tracer ?? trace.getTracer('awan');
}

/** Makes `provider` the process's, with context kept across async calls and W3C trace-context propagation. */
export async function registerTracing(provider: ProcessTracerProvider): Promise<void> {
  if (registered) throw new Error('tracing is already started in this process');
  const [{ AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }] = await Promise.all([
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
  ]);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  registered = { provider, tracer: provider.getTracer('awan') };
}

/** What the SDK tells of itself: problems as warnings, and a collector's outage once as it begins and once as it ends. */
export interface TracingLog {
  warn(message: string): void;
  log(message: string): void;
}

/**
 * Starts the OpenTelemetry SDK for `service` (its service.name; OTEL_RESOURCE_ATTRIBUTES adds
 * others): spans batched and exported as OTLP/HTTP JSON to `config.url`. The exporter reads the
 * other standard variables itself (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, _CERTIFICATE).
 * The SDK is loaded only here: a process that does not trace never loads it.
 */
export async function startTracing(service: string, config: TracingConfig, log: TracingLog): Promise<void> {
  const [sdk, { OTLPTraceExporter }, resources, { ATTR_SERVICE_NAME }, { ExportResultCode }] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
    import('@opentelemetry/core'),
  ]);
  const otlp = new OTLPTraceExporter({ url: config.url });
  // A batch the collector did not take is dropped either way; its outage is told once as it begins and once as it ends, not at every batch.
  let failing = false;
  const exporter: SpanExporter = {
    export: (spans, done) => otlp.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS && !failing) log.warn(`tracing: spans not sent to ${config.url}, dropped until it takes them: ${result.error?.message ?? 'export failed'}`);
      if (result.code === ExportResultCode.SUCCESS && failing) log.log(`tracing: spans sent to ${config.url} again`);
      failing = result.code !== ExportResultCode.SUCCESS;
      done({ code: ExportResultCode.SUCCESS });
    }),
    shutdown: () => otlp.shutdown(),
    forceFlush: () => otlp.forceFlush(),
  };
  const share = new sdk.TraceIdRatioBasedSampler(config.sampler.ratio);
  const provider = new sdk.TracerProvider({
    resource: resources.defaultResource()
      .merge(resources.detectResources({ detectors: [resources.envDetector] }))
      .merge(resources.resourceFromAttributes({ [ATTR_SERVICE_NAME]: service })),
    sampler: config.sampler.parentBased ? new sdk.ParentBasedSampler({ root: share }) : share,
    spanProcessors: [
      new sdk.BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: config.batch.scheduledDelayMs,
        maxQueueSize: config.batch.maxQueueSize,
        maxExportBatchSize: config.batch.maxExportBatchSize,
        exportTimeoutMillis: config.batch.exportTimeoutMs,
      }),
    ],
  });
  const warn = (...args: unknown[]) => log.warn(`tracing: ${args.map(String).join(' ')}`);
  diag.setLogger({ error: warn, warn, info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.WARN);
  await registerTracing(provider);
}

/** Sends the spans still batched (waiting at most a few seconds) and puts the API back to its no-op. */
export async function stopTracing(): Promise<void> {
  const provider = registered?.provider;
  if (!provider) return;
  registered = null;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([provider.shutdown().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, FLUSH_ON_STOP_MS)))]);
  clearTimeout(timer);
  trace.disable();
  propagation.disable();
  context.disable();
  diag.disable();
}
