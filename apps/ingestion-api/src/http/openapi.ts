import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PREFIX = '/docs';

/**
 * Publishes the OpenAPI 3.1 document at /openapi.json, built from the route schemas, and a browsable
 * reference (Swagger UI, served from the installed package, no CDN) at /docs. Both are public: they
 * describe the contract and hold no data. Register before the routes, so that they are collected.
 */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith(DOCS_PREFIX)) route.config = { ...route.config, public: true };
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Ingestion.Api',
        version,
        description:
          'Event ingestion over the CloudEvents 1.0 HTTP binding. Errors are RFC 9457 problem details whose `code` is listed in docs/errors.md.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer <key>`.' } } },
      security: [{ apiKey: [] }],
      tags: [
        { name: 'ingest', description: 'Needs the ingest scope.' },
        { name: 'events', description: 'Needs the read scope.' },
        { name: 'health', description: 'Public.' },
        { name: 'errors', description: 'Public.' },
      ],
    },
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    // No validator badge: it would send the document to an outside service.
    uiConfig: { validatorUrl: null },
    staticCSP: "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'",
  });
  app.get(OPENAPI_PATH, { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/json').send(app.swagger()),
  );
}
