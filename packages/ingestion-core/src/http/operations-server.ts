import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type pg from 'pg';
import type { Registry } from 'prom-client';

import { toError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import type { BrokerConnection } from '../messaging/connection.js';
import { METRICS_CONTENT_TYPE } from '../metrics/registry.js';
import { sendJson, sendProblem } from './problem-response.js';
import { checkReadiness } from './readiness.js';

export interface OperationsServerOptions {
  /** Name of the process in log messages and error details, such as `worker` or `relay`. */
  readonly processName: string;
  readonly host: string;
  readonly port: number;
  readonly pool: pg.Pool;
  readonly broker: BrokerConnection;
  readonly registry: Registry;
  /**
   * Extra checks that /health/ready reports in its body without requiring them to be true, named
   * other than `database`, `broker` and `shuttingDown`.
   */
  readonly informationalChecks?: () => Record<string, boolean>;
  /** True once shutdown began: the process then reports not ready. */
  readonly isShuttingDown: () => boolean;
  readonly logger: Logger;
}

/**
 * The small HTTP server that a process without the API serves for orchestrators and Prometheus:
 * GET /health/live, GET /health/ready (PostgreSQL reachable and RabbitMQ connected) and GET /metrics.
 * Errors are RFC 9457 problem details.
 */
export class OperationsServer {
  private readonly server: Server;
  private readonly options: OperationsServerOptions;

  constructor(options: OperationsServerOptions) {
    this.options = options;
    this.server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        options.logger.error({ err: toError(error), url: request.url }, `${options.processName} HTTP request failed`);
        if (!response.headersSent) sendProblem(response, request, 'INGEST_INTERNAL_ERROR', `The request failed; the ${options.processName} logged the error.`);
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
    this.options.logger.info({ host: this.options.host, port }, `${this.options.processName} HTTP server listening`);
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

type RouteHandler = (options: OperationsServerOptions, request: IncomingMessage, response: ServerResponse) => Promise<void>;

const ROUTES: Record<string, RouteHandler> = {
  '/health/live': async (_options, _request, response) => sendJson(response, 200, { status: 'ok' }),
  '/health/ready': async (options, request, response) => {
    const { ready, checks: { database, broker, shuttingDown }, detail } = await checkReadiness(options);
    const checks = { database, broker, ...options.informationalChecks?.(), shuttingDown };
    if (ready) return sendJson(response, 200, { status: 'ready', checks });
    response.setHeader('retry-after', '5');
    response.setHeader('cache-control', 'no-store');
    sendProblem(response, request, 'INGEST_NOT_READY', detail);
  },
  '/metrics': async (options, _request, response) => {
    const text = await options.registry.metrics();
    response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
    response.end(text);
  },
};
