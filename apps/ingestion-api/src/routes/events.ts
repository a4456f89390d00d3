import { findEvent, isJsonMediaType, mediaTypeEssence, type EventRecord } from '@ingestion/core';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';

import { requireScope } from '../auth/authentication.js';
import { AUTH_RESPONSES, EventIdParams, EventStatusSchema, problemResponse } from '../http/api-schemas.js';
import { sendProblem } from '../http/problem.js';
import { EVENTS_PATH } from './ingest.js';

/** Format of an internal event id. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function registerEventRoutes(app: FastifyInstance, pool: pg.Pool): void {
  const schema = {
    summary: 'Get the status of an event',
    description: 'Returns the processing status of an event and its data exactly as it was sent.',
    tags: ['events'],
    params: EventIdParams,
    response: {
      200: { description: 'The event.', content: { 'application/json': { schema: EventStatusSchema } } },
      400: problemResponse('The id is not a UUID.'),
      404: problemResponse('No event has this id.'),
      ...AUTH_RESPONSES,
    },
  };
  app.get<{ Params: { id: string } }>(`${EVENTS_PATH}/:id`, { onRequest: requireScope('read'), schema }, async (request, reply) => {
    const { id } = request.params;
    const event = await findEvent(pool, id);
    if (event === undefined) {
      return sendProblem(request, reply, 'INGEST_EVENT_NOT_FOUND', { detail: `No event has the id ${id}.` });
    }
    return reply.code(200).type('application/json').send(serializeEvent(event));
  });
}

/**
 * Serialises an event for the status endpoint. JSON data is copied into the document as the
 * bytes that were sent, so numbers, strings and key order come back exactly as they went in.
 * Text data that is valid UTF-8 is returned as a JSON string, and other data as `data_base64`.
 */
export function serializeEvent(event: EventRecord): string {
  const fields = {
    id: event.id,
    cloudEventId: event.cloudEventId,
    type: event.type,
    source: event.source,
    subject: event.subject,
    time: event.time,
    status: event.status,
    attempts: event.attempts,
    receivedAt: event.receivedAt.toISOString(),
    processedAt: event.processedAt?.toISOString() ?? null,
    error: event.error,
    errors: event.errors,
    datacontenttype: event.dataContentType,
  };
  const json = JSON.stringify(fields);
  if (event.data === null) return json;
  return `${json.slice(0, -1)},${dataMember(event.dataContentType, event.data)}}`;
}

/** Keeps a leading byte order mark, so that the string encodes back to the exact bytes stored. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function dataMember(contentType: string | null, data: Buffer): string {
  if (contentType !== null && isJsonMediaType(contentType)) return `"data":${data.toString('utf8')}`;
  if (contentType !== null && mediaTypeEssence(contentType).startsWith('text/')) {
    try {
      return `"data":${JSON.stringify(utf8.decode(data))}`;
    } catch {
      // Not UTF-8: fall through to base64, which carries any bytes.
    }
  }
  return `"data_base64":${JSON.stringify(data.toString('base64'))}`;
}
