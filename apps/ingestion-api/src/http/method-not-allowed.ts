import { METHODS } from 'node:http';

import type { FastifyInstance, HTTPMethods } from 'fastify';

import { sendProblem } from './problem.js';

/**
 * Lets the router match every method that Node.js parses, so that a method such as TRACE or PROPFIND
 * on a known path gets a 405 instead of a 404. By default Fastify routes only the common methods.
 * CONNECT never reaches the router, because Node.js gives it to the server's 'connect' event.
 */
function routeEveryHttpMethod(app: FastifyInstance): void {
  for (const method of METHODS) {
    if (method !== 'CONNECT' && !app.supportedMethods.includes(method)) app.addHttpMethod(method);
  }
}

/**
 * Registers a 405 response with an Allow header for methods a path does not support, instead of the 404
 * that Fastify gives for an unmatched method. Call it after the path's routes are registered.
 * These routes are public: they do nothing and reveal only the Allow header.
 */
export function registerMethodNotAllowed(app: FastifyInstance, url: string, allowed: HTTPMethods[]): void {
  routeEveryHttpMethod(app);
  const allowHeader = allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed;
  const others = app.supportedMethods.filter((method) => !allowHeader.includes(method)) as HTTPMethods[];
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
