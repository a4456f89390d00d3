import { ContractViolation, mediaTypeEssence, parseJsonBody, type ErrorCode } from '@ingestion/core';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';

import { requireScope } from '../auth/authentication.js';
import { AcceptedSchema, AUTH_RESPONSES, problemResponse, ReplayResultSchema } from '../http/api-schemas.js';
import { sendProblem } from '../http/problem.js';
import { MEDIA_TYPES, rejectNonUtf8Charset, unsupportedMediaType } from '../ingest/parse-request.js';
import { parseReplayRequest } from '../replay/replay-filter.js';
import { replayEvent, replayFailedEvents } from '../replay/replay-store.js';
import { UUID } from './events.js';
import { EVENTS_PATH } from './ingest.js';

/** Replays the failed events that match the filter in the JSON body. */
export const FILTERED_REPLAY_PATH = `${EVENTS_PATH}/replay`;
/** Replays one failed event. */
export const EVENT_REPLAY_PATH = `${EVENTS_PATH}/:id/replay`;

/**
 * Registers the replay routes in a plugin of their own, so that one hook on it, the check for the
 * admin scope, guards every replay route and nothing else.
 */
export function registerReplayRoutes(app: FastifyInstance, pool: pg.Pool): void {
  void app.register(async (scope) => {
    scope.addHook('onRequest', requireScope('admin'));
    const eventSchema = {
      summary: 'Replay one failed event',
      description: 'Puts a failed event back to accepted and queues it for the workers again. Requires the admin scope.',
      tags: ['replay'],
      response: {
        202: { description: 'The event is queued again.', content: { 'application/json': { schema: AcceptedSchema } } },
        400: problemResponse('The id is not a UUID.'),
        404: problemResponse('No event has this id.'),
        409: problemResponse('The event is not failed: INGEST_EVENT_NOT_FAILED.'),
        ...AUTH_RESPONSES,
      },
    };
    scope.post<{ Params: { id: string } }>(EVENT_REPLAY_PATH, { schema: eventSchema }, async (request, reply) => {
      const { id } = request.params;
      if (!UUID.test(id)) {
        return sendProblem(request, reply, 'INGEST_PARAMETER_INVALID', {
          errors: [{ pointer: '/id', detail: 'The event id must be a UUID, as returned by the ingest request.' }],
        });
      }
      const outcome = await replayEvent(pool, id);
      if (outcome.kind === 'not-found') {
        return sendProblem(request, reply, 'INGEST_EVENT_NOT_FOUND', { detail: `No event has the id ${id}.` });
      }
      if (outcome.kind === 'not-failed') {
        return sendProblem(request, reply, 'INGEST_EVENT_NOT_FAILED', {
          detail: `Event ${id} is ${outcome.status}; only a failed event can be replayed.`,
        });
      }
      request.log.info({ eventId: id, deliverySeq: outcome.deliverySeq }, 'event replayed');
      return reply.code(202).header('location', `${EVENTS_PATH}/${id}`).send({ id, status: 'accepted' });
    });

    const filterSchema = {
      summary: 'Replay failed events by type and time range',
      description:
        'Replays the failed events that match a JSON body {type, from, to, limit}; every field is optional. Requires the admin scope.',
      tags: ['replay'],
      response: {
        202: { description: 'The number of events replayed and still matching, and their ids.', content: { 'application/json': { schema: ReplayResultSchema } } },
        400: problemResponse('The filter is invalid.'),
        ...AUTH_RESPONSES,
      },
    };
    scope.post(FILTERED_REPLAY_PATH, { schema: filterSchema }, async (request, reply) => {
      let replay;
      try {
        const body = request.body as Buffer | undefined;
        if (body === undefined || body.length === 0) {
          throw new ContractViolation('INGEST_REPLAY_FILTER_INVALID', [
            { pointer: '', detail: 'The body is empty. Send the replay filter as a JSON object, such as {"type":"order.created"}.' },
          ]);
        }
        requireJsonContentType(request.headers['content-type']);
        replay = parseReplayRequest(parseJsonBody(body).value);
      } catch (error) {
        if (!(error instanceof ContractViolation)) throw error;
        request.log.info({ code: error.code, issues: error.issues.length }, 'replay request rejected');
        return sendProblem(request, reply, error.code as ErrorCode, { errors: error.issues });
      }
      const result = await replayFailedEvents(pool, replay.filter, replay.limit);
      request.log.info({ replayed: result.ids.length, remaining: result.remaining, type: replay.filter.type }, 'failed events replayed');
      return reply.code(202).send({ replayed: result.ids.length, remaining: result.remaining, ids: result.ids });
    });
  });
}

/** Rejects a filter body that is not labelled as JSON in UTF-8, with the same 415 as the ingest routes. */
function requireJsonContentType(contentType: string | undefined): void {
  if (contentType === undefined || mediaTypeEssence(contentType) !== MEDIA_TYPES.json) {
    throw unsupportedMediaType(contentType, [`${MEDIA_TYPES.json} in UTF-8`]);
  }
  rejectNonUtf8Charset(contentType);
}
