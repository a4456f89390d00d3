import { ERROR_CATALOGUE, problemTypeUri, type ErrorCode } from '@ingestion/core';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';

import { problemResponse } from '../http/api-schemas.js';
import { sendProblem } from '../http/problem.js';

const PROBLEMS_PREFIX = '/problems/';

const ProblemTypeSchema = Type.Object({
  code: Type.String(),
  status: Type.Integer(),
  title: Type.String(),
  fix: Type.String({ description: 'What the client should do.' }),
});

/**
 * Makes the `type` URI of every problem response resolvable, so that it documents the problem type:
 * GET on it returns the catalogue entry of the code. Public, like the rest of the API reference.
 */
export function registerProblemRoutes(app: FastifyInstance): void {
  const codesByType = new Map(Object.keys(ERROR_CATALOGUE).map((code) => [problemTypeUri(code as ErrorCode), code as ErrorCode]));
  app.get<{ Params: { type: string } }>(
    `${PROBLEMS_PREFIX}:type`,
    {
      config: { public: true },
      schema: {
        summary: 'Describe an error code',
        description: 'The `type` of a problem details response points here.',
        tags: ['errors'],
        security: [],
        params: Type.Object({ type: Type.String({ description: 'The code in lower case with dashes, such as ingest-validation-failed.' }) }),
        response: {
          200: { description: 'The catalogue entry.', content: { 'application/json': { schema: ProblemTypeSchema } } },
          404: problemResponse('No error code has this type.'),
        },
      },
    },
    async (request, reply) => {
      const code = codesByType.get(`${PROBLEMS_PREFIX}${request.params.type}`);
      if (code === undefined) {
        return sendProblem(request, reply, 'INGEST_ROUTE_NOT_FOUND', { detail: `No error code has the type ${request.params.type}.` });
      }
      return { code, ...ERROR_CATALOGUE[code] };
    },
  );
}
