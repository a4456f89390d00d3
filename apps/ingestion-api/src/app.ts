import { randomUUID } from 'node:crypto';

import type { BrokerConnection, Logger } from '@ingestion/core';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type pg from 'pg';

import { registerErrorHandlers } from './http/error-handler.js';
import { registerMethodNotAllowed } from './http/method-not-allowed.js';
import { sendProblem } from './http/problem.js';
import type { GroupCommitWriter } from './ingest/group-commit.js';
import { registerEventRoutes } from './routes/events.js';
import { registerHealthRoutes } from './routes/health.js';
import { EVENTS_PATH, registerIngestRoutes } from './routes/ingest.js';
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
    // During shutdown the onRequest hook below sends a 503 with problem details and Retry-After instead.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });

  // The ingest contract parses bodies itself, because it must keep the exact bytes of `data`.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_MEDIA_TYPES, { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes }, (_request, body, done) => {
    done(null, body);
  });

  registerErrorHandlers(app);
  app.addHook('onRequest', async (request, reply) => {
    if (!options.isShuttingDown()) return;
    reply.header('connection', 'close');
    return sendProblem(request, reply, 'INGEST_NOT_READY', { detail: 'Not ready: shutting down; send the request to another instance.', retryAfterSeconds: 1 });
  });
  registerIngestRoutes(app, { writer: options.writer, batchMaxEvents: options.batchMaxEvents, commitTimeoutMs: options.commitTimeoutMs });
  registerEventRoutes(app, options.pool);
  registerReplayRoutes(app, options.pool);
  registerHealthRoutes(app, { pool: options.pool, broker: options.broker, isShuttingDown: options.isShuttingDown });

  registerMethodNotAllowed(app, '/Ingestion/ingest', ['POST']);
  registerMethodNotAllowed(app, '/Ingestion/ingest/batch', ['POST']);
  registerMethodNotAllowed(app, `${EVENTS_PATH}/:id`, ['GET']);
  registerMethodNotAllowed(app, EVENT_REPLAY_PATH, ['POST']);
  registerMethodNotAllowed(app, FILTERED_REPLAY_PATH, ['POST']);
  registerMethodNotAllowed(app, '/health/live', ['GET']);
  registerMethodNotAllowed(app, '/health/ready', ['GET']);
  return app;
}
