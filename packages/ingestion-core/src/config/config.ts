import { z } from 'zod';

import { ConfigurationError } from '../errors/errors.js';

const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL with scheme ${protocols.map((p) => p.replace(':', '://')).join(' or ')}` },
  );

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const boolean = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

/**
 * Environment variables read by every process, with their defaults.
 * Durations are in milliseconds and sizes in bytes unless the name says otherwise.
 */
const environmentSchema = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/ingestion'),
  RABBITMQ_URL: url(['amqp:', 'amqps:']).default('amqp://guest:guest@127.0.0.1:5672'),
  RABBITMQ_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be 1 to 100 letters, digits, dots, dashes or underscores')
    .default('ingestion'),
  /** Queue type of the processing queue. Quorum queues replicate on a cluster and are faster on RabbitMQ 3.10+. */
  RABBITMQ_QUEUE_TYPE: z.enum(['quorum', 'classic']).default('quorum'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: integer(0, 65535).default(5001),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Maximum size of an ingest request body. At most 15 MiB, because an event travels to the workers as
   * one RabbitMQ message and RabbitMQ 4.x rejects messages over 16 MiB by default (`max_message_size`).
   * A larger event would stop the relay at its outbox row.
   */
  INGEST_BODY_LIMIT_BYTES: integer(1024, 15 * 1024 * 1024).default(1024 * 1024),
  /** Maximum number of events one request to the batch endpoint may carry. */
  INGEST_BATCH_MAX_EVENTS: integer(1, 10_000).default(1000),
  /** How long the API coalesces concurrent requests into one database transaction. */
  GROUP_COMMIT_WINDOW_MS: integer(0, 100).default(2),
  /** Maximum number of events written by one group-commit transaction. */
  GROUP_COMMIT_MAX_EVENTS: integer(1, 10_000).default(500),
  /** Maximum number of events waiting for a group commit before the API rejects requests with 503. */
  INGEST_MAX_PENDING_EVENTS: integer(1, 1_000_000).default(20_000),
  /**
   * Maximum bytes of event data waiting for a group commit before the API rejects requests with 503.
   * It bounds the memory that large events can take. It must be at least INGEST_BODY_LIMIT_BYTES.
   */
  INGEST_MAX_PENDING_BYTES: integer(1024, 4 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  /**
   * Time the oldest request may wait for a group commit before the API rejects new requests with 503
   * and Retry-After. It bounds request latency and memory when PostgreSQL cannot keep up.
   */
  INGEST_MAX_QUEUE_WAIT_MS: integer(10, 60_000).default(250),
  /** Time after which a request waiting for its database commit fails with 503. */
  INGEST_COMMIT_TIMEOUT_MS: integer(100, 120_000).default(5_000),
  /** Whether the API process also runs the outbox relay. */
  RELAY_ENABLED: boolean.default(true),
  RELAY_BATCH_SIZE: integer(1, 10_000).default(500),
  RELAY_CONCURRENCY: integer(1, 16).default(2),
  /**
   * Maximum events of one type that the relay packs into one RabbitMQ message. RabbitMQ's cost is per
   * message, so packs raise throughput. 1 sends one CloudEvents message per event.
   */
  RELAY_EVENTS_PER_MESSAGE: integer(1, 1_000).default(50),
  /** Fallback poll interval of the relay; new rows normally wake it at once. */
  RELAY_POLL_INTERVAL_MS: integer(10, 60_000).default(1_000),
  /** Pause of a relay loop after a batch smaller than RELAY_BATCH_SIZE, so that the next batch is larger; 0 disables it. */
  RELAY_LINGER_MS: integer(0, 1_000).default(20),
  /** Time the relay waits for RabbitMQ to confirm a batch before it gives the rows back. */
  RELAY_CONFIRM_TIMEOUT_MS: integer(100, 300_000).default(10_000),
  /**
   * Messages RabbitMQ may deliver to one worker before it acknowledges them. A message contains up to
   * RELAY_EVENTS_PER_MESSAGE events. Keep it above WORKER_BATCH_SIZE × WORKER_CONCURRENCY, so that a
   * full batch is waiting whenever one finishes even when the relay sends single events.
   */
  WORKER_PREFETCH: integer(1, 10_000).default(400),
  /**
   * Maximum number of events whose outcomes one worker transaction commits. A larger pack is committed
   * in several transactions and acknowledged after the last. At most 64, because each
   * handler runs in a savepoint and PostgreSQL slows down for every session once a transaction has more
   * than 64 subtransactions that wrote.
   */
  WORKER_BATCH_SIZE: integer(1, 64).default(50),
  /** Number of batches one worker process handles at once, each on its own database connection. */
  WORKER_CONCURRENCY: integer(1, 64).default(4),
  /** Comma-separated paths of extra handler modules; each default-exports an EventHandler or an array of them. */
  WORKER_HANDLER_MODULES: z.string().default(''),
  /**
   * Time a handler may run before its attempt counts as failed. Keep it below
   * DATABASE_STATEMENT_TIMEOUT_MS, which also ends a transaction left idle that long.
   */
  WORKER_HANDLER_TIMEOUT_MS: integer(10, 600_000).default(10_000),
  /** Handler attempts before an event is dead-lettered and marked failed. */
  WORKER_MAX_ATTEMPTS: integer(1, 100).default(5),
  WORKER_RETRY_BASE_DELAY_MS: integer(1, 3_600_000).default(1_000),
  WORKER_RETRY_MAX_DELAY_MS: integer(1, 86_400_000).default(300_000),
  /** Time a graceful shutdown may take before the process stops anyway. */
  SHUTDOWN_TIMEOUT_MS: integer(100, 600_000).default(25_000),
  DATABASE_POOL_SIZE: integer(1, 200).default(10),

  /**
   * Turns API key authentication off, so that every request is let in without a key. Meant only for
   * local development; never set it on a reachable deployment.
   */
  AUTH_DISABLED: boolean.default(false),
  /**
   * An API key the API registers at start-up (when not registered yet), so that a fresh deployment
   * has a first key. At least 32 characters; generate it with `openssl rand -base64 32`.
   */
  AUTH_BOOTSTRAP_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /** File that contains AUTH_BOOTSTRAP_KEY, such as a Docker or Kubernetes secret; used when AUTH_BOOTSTRAP_KEY is unset. */
  AUTH_BOOTSTRAP_KEY_FILE: z.string().min(1).optional(),
  /** Comma-separated scopes of AUTH_BOOTSTRAP_KEY: ingest, read, admin. */
  AUTH_BOOTSTRAP_KEY_SCOPES: z.string().regex(/^(ingest|read|admin)(,(ingest|read|admin))*$/, 'must be a comma-separated list of ingest, read, admin').default('ingest,read,admin'),
  /** How long the API trusts a key looked up in the database; a revoked key is refused within this time. */
  AUTH_CACHE_TTL_MS: integer(0, 600_000).default(5_000),
  /** Requests per minute one API key may make to one API process, unless the key sets its own limit. */
  RATE_LIMIT_PER_MINUTE: integer(1, 100_000_000).default(60_000),
  /** Time after which a statement is cancelled, and a lock wait or an idle transaction is ended. */
  DATABASE_STATEMENT_TIMEOUT_MS: integer(100, 600_000).default(30_000),

  // Operations: the HTTP servers of the worker and the standalone relay, and OpenTelemetry tracing.
  // The OTEL_* names and meanings are those of the OpenTelemetry SDK environment variable
  // specification. The OTLP exporter also reads OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT
  // and the certificate variables itself.
  /** Port of the worker's HTTP server for /health/live, /health/ready and /metrics; 0 picks a free port. */
  WORKER_HTTP_PORT: integer(0, 65535).default(5002),
  /** Port of the standalone relay's (`npm run start:relay`) HTTP server for the same endpoints; 0 picks a free port. */
  RELAY_HTTP_PORT: integer(0, 65535).default(5003),
  /** Turns tracing off whatever else is set. */
  OTEL_SDK_DISABLED: boolean.default(false),
  /** `otlp`, `console` or `none`. Unset means `otlp` when an OTLP endpoint is set, and no tracing otherwise. */
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none']).optional(),
  /** Base URL of an OTLP/HTTP receiver, such as http://otel-collector:4318; `/v1/traces` is appended. */
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']).optional(),
  /** Full URL of the OTLP/HTTP traces endpoint; overrides OTEL_EXPORTER_OTLP_ENDPOINT for traces. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url(['http:', 'https:']).optional(),
  /** OTLP encoding. gRPC is not supported: point the exporter at the collector's HTTP port (4318). */
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.enum(['http/protobuf', 'http/json']).optional(),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .default('parentbased_always_on'),
  /** Sampling ratio from 0 to 1 for the `traceidratio` samplers. */
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
  /** Service name in traces; defaults to the process's own name (ingestion-api, processor-worker). */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
});

export type Environment = z.infer<typeof environmentSchema>;

/** Settings shared by the API, the relay and the worker. */
export interface Config extends Environment {
  readonly serviceName: string;
}

/**
 * Reads and validates the configuration from environment variables.
 * Throws a ConfigurationError that names every invalid variable.
 */
export function loadConfig(serviceName: string, env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = environmentSchema
    .refine((env) => env.WORKER_HANDLER_TIMEOUT_MS < env.DATABASE_STATEMENT_TIMEOUT_MS, {
      path: ['WORKER_HANDLER_TIMEOUT_MS'],
      message: 'must be less than DATABASE_STATEMENT_TIMEOUT_MS, or the database ends the transaction of a slow handler first',
    })
    .refine((env) => env.INGEST_MAX_PENDING_BYTES >= env.INGEST_BODY_LIMIT_BYTES, {
      path: ['INGEST_MAX_PENDING_BYTES'],
      message: 'must be at least INGEST_BODY_LIMIT_BYTES, or a request of the largest allowed size could never be accepted',
    })
    .safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigurationError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return { ...result.data, serviceName };
}
