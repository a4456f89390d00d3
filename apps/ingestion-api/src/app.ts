import { randomUUID } from 'node:crypto';

import { createMetricsRegistry, type BrokerConnection, type Logger } from '@ingestion/core';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type pg from 'pg';

import { registerAuthentication, type AuthenticationOptions } from './auth/authentication.js';
import { handleClientError } from './http/client-error.js';
import { MAX_PARAM_LENGTH, registerErrorHandlers, sendErrorProblem } from './http/error-handler.js';
import { registerMethodNotAllowed } from './http/method-not-allowed.js';
import { registerOpenApi } from './http/openapi.js';
import { sendProblem } from './http/problem.js';
import { registerSchemaCompilers } from './http/validation.js';
import { registerObservability } from './http/observability.js';
import type { GroupCommitWriter } from './ingest/group-commit.js';
import { ApiMetrics } from './metrics/api-metrics.js';
import { registerEventRoutes } from './routes/events.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerProblemRoutes } from './routes/problems.js';
import { BATCH_PATH, EVENTS_PATH, INGEST_PATH, registerIngestRoutes } from './routes/ingest.js';
import { EVENT_REPLAY_PATH, FILTERED_REPLAY_PATH, registerReplayRoutes } from './routes/replay.js';

export interface AppOptions {
  readonly pool: pg.Pool;
  readonly broker: BrokerConnection;
  readonly writer: GroupCommitWriter;
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  readonly batchMaxEvents: number;
  readonly commitTimeoutMs: number;
  readonly isShuttingDown: () => boolean;
  readonly authentication: AuthenticationOptions;
  /** Metrics served at /metrics; a registry of its own when omitted. */
  readonly metrics?: ApiMetrics;
}

/** Version published in the OpenAPI document. */
const API_VERSION = '1.0.0';

/** Builds the HTTP API: authentication, routes, body parsing, the API reference and problem details for every error. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // During shutdown the onRequest hook below sends a 503 with problem details and Retry-After instead.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: sendErrorProblem,
    clientErrorHandler: handleClientError,
  });

  // The ingest contract parses bodies itself, because it must keep the exact bytes of `data`, and binary
  // mode takes data of any media type. Each route decides which media types it accepts (415 otherwise).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes }, (_request, body, done) => {
    done(null, body);
  });

  registerErrorHandlers(app);
  registerSchemaCompilers(app);
  app.addHook('onRequest', async (request, reply) => {
    if (!options.isShuttingDown()) return;
    reply.header('connection', 'close');
    return sendProblem(request, reply, 'INGEST_NOT_READY', { detail: 'Not ready: shutting down; send the request to another instance.', retryAfterSeconds: 1 });
  });
  registerObservability(app, options.metrics ?? new ApiMetrics(createMetricsRegistry()));
  registerAuthentication(app, options.authentication);
  await registerOpenApi(app, API_VERSION);
  registerIngestRoutes(app, { writer: options.writer, batchMaxEvents: options.batchMaxEvents, commitTimeoutMs: options.commitTimeoutMs });
  registerEventRoutes(app, options.pool);
  registerReplayRoutes(app, options.pool);
  registerProblemRoutes(app);
  registerHealthRoutes(app, { pool: options.pool, broker: options.broker, isShuttingDown: options.isShuttingDown });

  registerMethodNotAllowed(app, INGEST_PATH, ['POST']);
  registerMethodNotAllowed(app, BATCH_PATH, ['POST']);
  registerMethodNotAllowed(app, `${EVENTS_PATH}/:id`, ['GET']);
  registerMethodNotAllowed(app, EVENT_REPLAY_PATH, ['POST']);
  registerMethodNotAllowed(app, FILTERED_REPLAY_PATH, ['POST']);
  registerMethodNotAllowed(app, '/health/live', ['GET']);
  registerMethodNotAllowed(app, '/health/ready', ['GET']);
  registerMethodNotAllowed(app, '/openapi.json', ['GET']);
  registerMethodNotAllowed(app, '/metrics', ['GET']);
  return app;
}
