import { ATTRIBUTE_RULES, ERROR_CATALOGUE, eventSchema, STANDARD_ATTRIBUTES } from '@ingestion/core';
import Type, { type TSchema } from 'typebox';

import { MEDIA_TYPES } from '../ingest/parse-request.js';

/**
 * Schemas of the HTTP API for the OpenAPI document. Request bodies are read and validated by the ingest
 * contract (the same attribute schemas, compiled); these route schemas describe them and never re-validate.
 */

const ValidationIssueSchema = Type.Object({
  pointer: Type.String({ description: 'JSON Pointer (RFC 6901) to the bad member of the body; in binary mode, to the attribute.' }),
  header: Type.Optional(Type.String({ description: 'HTTP header that carried the bad value, in binary mode.' })),
  detail: Type.String(),
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'Relative URI naming the error code.' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String({ description: 'Path of the request.' }),
    code: Type.Union(
      Object.keys(ERROR_CATALOGUE).map((code) => Type.Literal(code)),
      { description: 'Error code from the catalogue in docs/errors.md.' },
    ),
    requestId: Type.String({ description: 'Id of the request in the server logs; also the X-Request-Id response header.' }),
    errors: Type.Optional(Type.Array(ValidationIssueSchema)),
  },
  { description: 'Problem details (RFC 9457).' },
);

/** Describes a response whose body is problem details. */
export function problemResponse(description: string) {
  return { description, content: { 'application/problem+json': { schema: ProblemSchema } } };
}

export const ReplayResultSchema = Type.Object({
  replayed: Type.Integer({ description: 'Number of events queued again by this request.' }),
  remaining: Type.Integer({ description: 'Number of matching failed events left, beyond the limit.' }),
  ids: Type.Array(Type.String({ format: 'uuid' })),
});

export const AcceptedSchema = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Internal id of the event; GET /Ingestion/events/{id} returns its status.' }),
  status: Type.Literal('accepted'),
  duplicate: Type.Optional(Type.Literal(true, { description: 'Present when the same event (source and id) was stored before.' })),
});

export const BatchAcceptedSchema = Type.Object({
  results: Type.Array(
    Type.Object({
      index: Type.Integer({ description: 'Position of the event in the batch.' }),
      id: Type.String({ format: 'uuid' }),
      status: Type.Union([Type.Literal('accepted'), Type.Literal('conflict')]),
      duplicate: Type.Optional(Type.Literal(true)),
      code: Type.Optional(Type.Literal('INGEST_EVENT_ID_CONFLICT')),
    }),
  ),
});

export const EventStatusSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  cloudEventId: Type.String(),
  type: Type.String(),
  source: Type.String(),
  subject: Type.Union([Type.String(), Type.Null()]),
  time: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.Literal('accepted'), Type.Literal('retrying'), Type.Literal('processed'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  receivedAt: Type.String({ format: 'date-time' }),
  processedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  errors: Type.Array(Type.Object({ attempt: Type.Integer(), at: Type.String(), message: Type.String(), permanent: Type.Boolean() })),
  datacontenttype: Type.Union([Type.String(), Type.Null()]),
  data: Type.Optional(Type.Unknown({ description: 'JSON data, byte for byte as it was sent; or text data as a string.' })),
  data_base64: Type.Optional(Type.String({ description: 'Other data, base64-encoded.' })),
});

/** Binary content mode: the ce-* headers carry the attributes and the body is the data. */
export const ingestHeaders = {
  type: 'object',
  properties: Object.fromEntries(
    STANDARD_ATTRIBUTES.filter((name) => name !== 'datacontenttype').map((name) => {
      const schema = ATTRIBUTE_RULES[name].schema;
      return [`ce-${name}`, { ...schema, description: `Binary mode. ${(schema as { description?: string }).description ?? ''} Percent-encoded (CloudEvents HTTP binding).` }];
    }),
  ),
} as unknown as TSchema;

/** Request bodies of POST /Ingestion/ingest, by media type. */
export function singleIngestBody(): TSchema {
  return {
    content: {
      [MEDIA_TYPES.structured]: { schema: eventSchema(true) },
      [MEDIA_TYPES.batch]: { schema: Type.Array(eventSchema(true), { minItems: 1 }) },
      [MEDIA_TYPES.json]: { schema: eventSchema(false) },
      '*/*': {
        schema: Type.String({
          format: 'binary',
          description: 'Binary content mode: the data itself, of any media type, with the attributes in ce-* headers (ce-specversion, ce-id, ce-source and ce-type are required).',
        }),
      },
    },
  } as unknown as TSchema;
}

/** Request bodies of POST /Ingestion/ingest/batch, by media type. */
export function batchIngestBody(): TSchema {
  return {
    content: {
      [MEDIA_TYPES.batch]: { schema: Type.Array(eventSchema(true), { minItems: 1 }) },
      [MEDIA_TYPES.json]: { schema: Type.Array(eventSchema(false), { minItems: 1 }) },
    },
  } as unknown as TSchema;
}

export const EventIdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The id returned by the ingest request.' }),
});

/** Responses every authenticated route can give. */
export const AUTH_RESPONSES = {
  401: problemResponse('No valid API key: INGEST_API_KEY_MISSING or INGEST_API_KEY_INVALID.'),
  403: problemResponse('The API key lacks the scope of this route: INGEST_SCOPE_MISSING.'),
  429: problemResponse('The API key used up its rate limit: INGEST_RATE_LIMITED; see Retry-After.'),
};
