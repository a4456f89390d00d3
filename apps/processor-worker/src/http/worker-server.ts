import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  ERROR_CATALOGUE,
  isDatabaseReachable,
  METRICS_CONTENT_TYPE,
  problemTypeUri,
  toError,
  type BrokerConnection,
  type ErrorCode,
  type Logger,
} from '@ingestion/core';
import type pg from 'pg';
import type { Registry } from 'prom-client';

export interface WorkerServerOptions {
  readonly host: string;
  readonly port: number;
  readonly pool: pg.Pool;
  readonly broker: BrokerConnection;
  readonly registry: Registry;
  /** True while the consumer has an active subscription; reported by /health/ready, not required by it. */
  readonly isConsuming: () => boolean;
  /** True once shutdown began: the worker then reports not ready. */
  readonly isShuttingDown: () => boolean;
  readonly logger: Logger;
}

/** Time the readiness probe waits for PostgreSQL before it reports the database down. */
const DATABASE_PROBE_TIMEOUT_MS = 2_000;

/**
 * The worker's small HTTP server for orchestrators and Prometheus: GET /health/live, GET /health/ready
 * (PostgreSQL reachable and RabbitMQ connected) and GET /metrics. Errors are RFC 9457 problem details.
 */
export class WorkerServer {
  private readonly server: Server;
  private readonly options: WorkerServerOptions;

  constructor(options: WorkerServerOptions) {
    this.options = options;
    this.server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        options.logger.error({ err: toError(error), url: request.url }, 'worker HTTP request failed');
        if (!response.headersSent) sendProblem(response, request, 'INGEST_INTERNAL_ERROR', 'The request failed; the worker logged the error.');
      });
    });
  }

  /** Starts listening and returns the bound port (useful when the configured port is 0). */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo;
    this.options.logger.info({ host: this.options.host, port }, 'worker HTTP server listening');
    return port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?', 1)[0]!.replace(/\/$/, '');
    const handler = ROUTES[path];
    if (handler === undefined) return sendProblem(response, request, 'INGEST_ROUTE_NOT_FOUND', `No route ${path}. Routes: ${Object.keys(ROUTES).join(', ')}.`);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return sendProblem(response, request, 'INGEST_METHOD_NOT_ALLOWED', `${path} accepts only GET.`);
    }
    await handler(this.options, request, response);
  }
}

type RouteHandler = (options: WorkerServerOptions, request: IncomingMessage, response: ServerResponse) => Promise<void>;

const ROUTES: Record<string, RouteHandler> = {
  '/health/live': async (_options, _request, response) => sendJson(response, 200, { status: 'ok' }),
  '/health/ready': async (options, request, response) => {
    const checks = {
      database: await isDatabaseReachable(options.pool, DATABASE_PROBE_TIMEOUT_MS),
      broker: options.broker.isConnected,
      consuming: options.isConsuming(),
      shuttingDown: options.isShuttingDown(),
    };
    if (checks.database && checks.broker && !checks.shuttingDown) return sendJson(response, 200, { status: 'ready', checks });
    const down = [!checks.database && 'PostgreSQL is unreachable', !checks.broker && 'RabbitMQ is unreachable', checks.shuttingDown && 'shutting down'];
    response.setHeader('retry-after', '5');
    response.setHeader('cache-control', 'no-store');
    sendProblem(response, request, 'INGEST_NOT_READY', `Not ready: ${down.filter(Boolean).join(', ')}.`);
  },
  '/metrics': async (options, _request, response) => {
    const text = await options.registry.metrics();
    response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
    response.end(text);
  },
};

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

/** Sends an RFC 9457 problem for a catalogued error code, as the API does. */
function sendProblem(response: ServerResponse, request: IncomingMessage, code: ErrorCode, detail: string): void {
  const entry = ERROR_CATALOGUE[code];
  const problem = { type: problemTypeUri(code), title: entry.title, status: entry.status, detail, instance: (request.url ?? '/').split('?', 1)[0], code };
  response.writeHead(entry.status, { 'content-type': 'application/problem+json; charset=utf-8' });
  response.end(JSON.stringify(problem));
}
