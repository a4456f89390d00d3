import type { FastifyInstance, HTTPMethods } from 'fastify';

import { sendProblem } from './problem.js';

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/**
 * Registers a 405 response with an Allow header for methods a path does not support, instead of the 404
 * that Fastify gives for an unmatched method. Call it after the path's routes are registered.
 * These routes are public: they do nothing and reveal only the Allow header.
 */
export function registerMethodNotAllowed(app: FastifyInstance, url: string, allowed: HTTPMethods[]): void {
  const allowHeader = allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed;
  const others = METHODS.filter((method) => !allowHeader.includes(method));
  app.route({
    method: others,
    url,
    config: { public: true },
    schema: { hide: true },
    handler: (request, reply) =>
      sendProblem(request, reply, 'INGEST_METHOD_NOT_ALLOWED', {
        detail: `${request.method} is not allowed on ${url}; use ${allowHeader.join(' or ')}.`,
        headers: { allow: allowHeader.join(', ') },
      }),
  });
}
