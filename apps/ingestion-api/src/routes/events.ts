import { findEvent, isJsonMediaType, type EventRecord } from '@ingestion/core';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';

import { sendProblem } from '../http/problem.js';
import { EVENTS_PATH } from './ingest.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function registerEventRoutes(app: FastifyInstance, pool: pg.Pool): void {
  app.get<{ Params: { id: string } }>(`${EVENTS_PATH}/:id`, async (request, reply) => {
    const { id } = request.params;
    if (!UUID.test(id)) {
      return sendProblem(request, reply, 'INGEST_PARAMETER_INVALID', {
        errors: [{ pointer: '#/id', detail: 'The event id must be a UUID, as returned by the ingest request.' }],
      });
    }
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
 * Other data is returned as `data_base64`.
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
  const dataMember =
    event.dataContentType !== null && isJsonMediaType(event.dataContentType)
      ? `"data":${event.data.toString('utf8')}`
      : `"data_base64":${JSON.stringify(event.data.toString('base64'))}`;
  return `${json.slice(0, -1)},${dataMember}}`;
}
