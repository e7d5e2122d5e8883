import type { Kafka } from '@orderline/messaging';
import { topicSpecs } from '@orderline/contracts';
import type { Logger } from '@orderline/logging';
import { startTracing, type TracesSampler } from '@orderline/tracing';
import {
  KafkaHealth,
  Publisher,
  createKafka,
  ensureTopics,
  newInstanceId,
  startConsumer,
  type ConsumerDefinition,
  type RunningConsumer,
} from '@orderline/messaging';
import { runChecks, startHealthServer, type ReadinessCheck } from './health-server';
import { addMetricsSource, initMetrics, metricsOfThisThread } from './metrics';
import { isReadsThread, lowerThreadPriority, serveReadsThread, startReadsThread } from './reads-thread';
import { onShutdown } from './shutdown';

export interface ServiceConfig {
  INSTANCE_ID?: string;
  KAFKA_BROKERS: string[];
  KAFKA_MAX_MESSAGE_BYTES: number;
  /** how long a publish waits for the broker's ack (Publisher's timeoutMs; its default when unset) */
  KAFKA_PUBLISH_TIMEOUT_MS?: number;
  HOST: string;
  /** services that consume (ConsumerEnv): how long a message waits out an outage before it is dead-lettered */
  CONSUMER_MAX_OUTAGE_MS?: number;
  /** services that consume: readiness fails while a partition has made no progress for this long */
  CONSUMER_STALL_MS?: number;
  /** services that consume: the niceness of the thread doing the write path's work (0: as started) */
  WRITE_PATH_NICE?: number;
  /** where spans are exported (OTLP over HTTP); unset: tracing is off */
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  /** how long ended spans wait to be exported together (ms) */
  OTEL_BSP_SCHEDULE_DELAY?: number;
  /** which traces starting here are recorded, and the ratio for `parentbased_traceidratio` */
  OTEL_TRACES_SAMPLER?: TracesSampler;
  OTEL_TRACES_SAMPLER_ARG?: number;
}

/**
 * A database the service owns (`openDatabase` of libs/db): in readiness, its errors classified for
 * the consumers' retries, closed last. (Passed in, so a service without one bundles no database client.)
 */
export interface ServiceDatabase {
  isReachable(): Promise<boolean>;
  close(): Promise<unknown>;
  /** errors that say it is down: messages wait (up to CONSUMER_MAX_OUTAGE_MS) */
  isUnavailable(error: unknown): boolean;
  /** errors that say it refuses the data: messages are dead-lettered at once */
  refuses(error: unknown): boolean;
}

export interface ServiceDeps {
  instanceId: string;
  kafka: Kafka;
  publisher: Publisher;
  logger: Logger;
  /**
   * Starts a consumer of the routing table `definition` with the service's plumbing (its Kafka,
   * publisher, logger, outage bound, the database's error classes); it is in readiness from then
   * on and stopped first on shutdown.
   */
  consume(definition: ConsumerDefinition): Promise<RunningConsumer>;
  /**
   * A publisher with a producer of its own (the same settings; disconnected on shutdown), for
   * messages that must not queue behind the main publisher's batches (the gateway's read requests
   * behind its order commands).
   */
  separatePublisher(): Promise<Publisher>;
  /** the readiness checks (Kafka, the database, no stalled consumer), for a service that serves /health/ready itself */
  readiness(): Promise<{ ready: boolean; checks: Record<string, 'up' | 'down'> }>;
}

export interface ServiceOptions {
  name: string;
  config: ServiceConfig;
  logger: Logger;
  database?: ServiceDatabase;
  /** serve /health/live, /health/ready and /metrics on this port (services without an HTTP API of their own) */
  healthPort?: number;
  /** starts the service's own work; returns how to stop what `consume` did not start, in order */
  start(deps: ServiceDeps): Promise<Array<() => Promise<unknown>>>;
  /**
   * Starts the service's reads, run in a thread of their own at normal priority while `start`'s
   * work runs at WRITE_PATH_NICE (see reads-thread.ts). The reads thread runs the app's main.ts
   * again: what it opens before `startService` it opens for itself (`isReadsThread()` tells).
   */
  reads?(deps: ServiceDeps): Promise<Array<() => Promise<unknown>>>;
}

/**
 * The wiring every service shares: metrics, a Kafka client with the topics ensured, a publisher
 * (KAFKA_MAX_MESSAGE_BYTES, known topics only), readiness (Kafka, the database if any, no stalled
 * consumer), consumers with one set of plumbing, the service's reads (if any) in a thread of their
 * own, and a graceful shutdown: on SIGTERM the reads thread and the consumers stop, then the
 * service's own steps, then the publishers, the health server, the database and the tracer.
 */
export async function startService(options: ServiceOptions): Promise<void> {
  const { name, config, logger, database } = options;
  const readsThread = isReadsThread();
  initMetrics(name, readsThread ? 'reads' : undefined);
  const instanceId = config.INSTANCE_ID ?? newInstanceId(name);
  const tracing = startTracing({
    serviceName: name,
    instanceId,
    endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    scheduleDelayMs: config.OTEL_BSP_SCHEDULE_DELAY,
    sampler: config.OTEL_TRACES_SAMPLER,
    samplerRatio: config.OTEL_TRACES_SAMPLER_ARG,
  });
  // which Node runs the app (24 LTS, see .nvmrc), also on /metrics as nodejs_version_info
  logger.info(readsThread ? 'starting the reads thread' : 'starting', {
    instanceId,
    node: process.version,
    pid: process.pid,
    tracing: tracing.enabled,
  });
  const kafka = createKafka({ clientId: instanceId, brokers: config.KAFKA_BROKERS, logger });
  const replication = await ensureTopics(kafka, topicSpecs, { expectedBrokers: config.KAFKA_BROKERS.length });
  if (!readsThread) logger.info('topics ensured', { ...replication, brokers: config.KAFKA_BROKERS });
  const publishers: Publisher[] = [];
  const separatePublisher = async () => {
    const created = new Publisher(kafka, {
      maxMessageBytes: config.KAFKA_MAX_MESSAGE_BYTES,
      timeoutMs: config.KAFKA_PUBLISH_TIMEOUT_MS,
      knownTopics: topicSpecs.map((spec) => spec.topic),
    });
    await created.connect();
    publishers.push(created);
    return created;
  };
  const publisher = await separatePublisher();
  const kafkaHealth = new KafkaHealth(kafka);

  const consumers: RunningConsumer[] = [];
  const checks: Record<string, ReadinessCheck> = { kafka: () => kafkaHealth.isReachable() };
  if (database) checks['database'] = () => database.isReachable();
  const stallMs = config.CONSUMER_STALL_MS;
  const stalledPartitions = (forMs: number) =>
    consumers.flatMap((consumer) => consumer.stalledPartitions(forMs).map((partition) => `${consumer.groupId} ${partition}`));
  if (stallMs !== undefined) {
    checks['consumers'] = async () => {
      const stalled = stalledPartitions(stallMs);
      if (stalled.length > 0) logger.warn('consumer made no progress', { stalled, forMs: stallMs });
      return stalled.length === 0;
    };
  }

  const consume = async (definition: ConsumerDefinition) => {
    const consumer = await startConsumer({
      kafka,
      publisher,
      logger,
      maxOutageMs: config.CONSUMER_MAX_OUTAGE_MS,
      isTransient: database?.isUnavailable,
      isPermanent: database?.refuses,
      ...definition,
    });
    consumers.push(consumer);
    return consumer;
  };
  const deps: ServiceDeps = { instanceId, kafka, publisher, logger, consume, separatePublisher, readiness: () => runChecks(checks) };
  const stopSteps = (stopWork: Array<() => Promise<unknown>>) => [
    ...consumers.map((consumer) => () => consumer.stop()),
    ...stopWork,
    ...publishers.map((each) => () => each.disconnect()),
    () => kafkaHealth.close(),
  ];

  if (readsThread) {
    let stopWork: Array<() => Promise<unknown>> = [];
    return serveReadsThread({
      start: async () => {
        stopWork = await (options.reads as NonNullable<ServiceOptions['reads']>)(deps);
      },
      metrics: metricsOfThisThread,
      stalledPartitions,
      stop: async () => {
        for (const step of [...stopSteps(stopWork), ...(database ? [() => database.close()] : []), () => tracing.shutdown()])
          await step().catch(() => undefined);
      },
    });
  }

  // the reads thread first: a thread inherits the priority of the one that starts it
  const reads = options.reads ? await startReadsThread(logger) : undefined;
  if (reads) {
    addMetricsSource(() => reads.metrics());
    if (stallMs !== undefined) {
      const ownConsumers = checks['consumers'];
      checks['consumers'] = async () => {
        const stalled = await reads.stalledPartitions(stallMs);
        if (stalled.length > 0) logger.warn('consumer made no progress', { stalled, forMs: stallMs });
        return (await ownConsumers()) && stalled.length === 0;
      };
    }
  }
  const stopWork = await options.start(deps);
  lowerThreadPriority(config.WRITE_PATH_NICE ?? 0, logger);
  const health =
    options.healthPort === undefined ? undefined : await startHealthServer({ host: config.HOST, port: options.healthPort, logger, checks });

  onShutdown(logger, [
    ...(reads ? [() => reads.stop()] : []),
    ...stopSteps(stopWork),
    ...(health ? [() => new Promise((resolve) => health.close(resolve))] : []),
    ...(database ? [() => database.close()] : []),
    // last: the spans of the shutdown's own work go out too
    () => tracing.shutdown(),
  ]);
}
