import { randomUUID } from 'node:crypto';

import { createMetricsRegistry, type BrokerConnection, type Logger } from '@ingestion/core';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type pg from 'pg';

import { registerErrorHandlers } from './http/error-handler.js';
import { registerMethodNotAllowed } from './http/method-not-allowed.js';
import { registerObservability } from './http/observability.js';
import type { GroupCommitWriter } from './ingest/group-commit.js';
import { ApiMetrics } from './metrics/api-metrics.js';
import { registerEventRoutes } from './routes/events.js';
import { registerHealthRoutes } from './routes/health.js';
import { EVENTS_PATH, registerIngestRoutes } from './routes/ingest.js';

export interface AppOptions {
  readonly pool: pg.Pool;
  readonly broker: BrokerConnection;
  readonly writer: GroupCommitWriter;
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  readonly batchMaxEvents: number;
  readonly commitTimeoutMs: number;
  readonly isShuttingDown: () => boolean;
  /** Metrics served at /metrics; a registry of its own when omitted. */
  readonly metrics?: ApiMetrics;
}

/** Media types the ingest endpoints accept; the body reaches the route as raw bytes. */
const JSON_MEDIA_TYPES = ['application/json', 'application/cloudevents+json', 'application/cloudevents-batch+json'];

/** Builds the HTTP API: routes, body parsing and problem details for every error. */
export function buildApp(options: AppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });

  // The ingest contract parses bodies itself, because it must keep the exact bytes of `data`.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_MEDIA_TYPES, { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes }, (_request, body, done) => {
    done(null, body);
  });

  registerErrorHandlers(app);
  registerObservability(app, options.metrics ?? new ApiMetrics(createMetricsRegistry()));
  registerIngestRoutes(app, { writer: options.writer, batchMaxEvents: options.batchMaxEvents, commitTimeoutMs: options.commitTimeoutMs });
  registerEventRoutes(app, options.pool);
  registerHealthRoutes(app, { pool: options.pool, broker: options.broker, isShuttingDown: options.isShuttingDown });

  registerMethodNotAllowed(app, '/Ingestion/ingest', ['POST']);
  registerMethodNotAllowed(app, '/Ingestion/ingest/batch', ['POST']);
  registerMethodNotAllowed(app, `${EVENTS_PATH}/:id`, ['GET']);
  registerMethodNotAllowed(app, '/health/live', ['GET']);
  registerMethodNotAllowed(app, '/health/ready', ['GET']);
  registerMethodNotAllowed(app, '/metrics', ['GET']);
  return app;
}
