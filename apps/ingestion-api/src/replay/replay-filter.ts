import { ContractViolation, LIMITS, pointerToken, type ValidationIssue } from '@ingestion/core';
import { z } from 'zod';

/** Filter of a replay of failed events. Every field that is set must match. */
export interface ReplayFilter {
  readonly type?: string;
  /** Earliest receive time, inclusive. */
  readonly from?: Date;
  /** Latest receive time, exclusive. */
  readonly to?: Date;
  /**
   * Only events whose last change is older than this. The CLI sets it to its own start time, so an
   * event that it replayed and that failed again while it ran is not replayed a second time.
   */
  readonly failedBefore?: Date;
}

/** Maximum number of events one filtered replay request replays. The response reports how many are left. */
export const REPLAY_MAX_LIMIT = 10_000;
export const REPLAY_DEFAULT_LIMIT = 1_000;

const timestamp = z.iso
  .datetime({ offset: true, error: 'Expected an RFC 3339 time with an offset, such as 2026-01-31T00:00:00Z.' })
  .transform((value) => new Date(value));

/** One message for every way `limit` can be wrong: not a number, not an integer, or out of range. */
const LIMIT_ERROR = `Expected limit as an integer from 1 to ${REPLAY_MAX_LIMIT}.`;

const requestSchema = z
  .strictObject({
    type: z
      .string({ error: 'Expected the event type as a string.' })
      .min(1, { error: 'Expected a non-empty event type.' })
      .max(LIMITS.typeMaxBytes, { error: `Expected an event type of at most ${LIMITS.typeMaxBytes} characters.` })
      .optional(),
    from: timestamp.optional(),
    to: timestamp.optional(),
    limit: z
      .number({ error: LIMIT_ERROR })
      .int({ error: LIMIT_ERROR })
      .min(1, { error: LIMIT_ERROR })
      .max(REPLAY_MAX_LIMIT, { error: LIMIT_ERROR })
      .default(REPLAY_DEFAULT_LIMIT),
  })
  .refine((value) => value.type !== undefined || value.from !== undefined || value.to !== undefined, {
    message: 'Set at least one of type, from and to. To replay every failed event, give a `from` before the oldest one.',
  })
  .refine((value) => value.from === undefined || value.to === undefined || value.from < value.to, {
    message: '`from` must be earlier than `to`.',
    path: ['to'],
  });

/** A filtered replay request: the filter and the maximum number of events to replay. */
export interface ReplayRequest {
  readonly filter: ReplayFilter;
  readonly limit: number;
}

/**
 * Validates the JSON object of a filtered replay request: `type`, `from` and `to` (RFC 3339 times
 * with an offset), and `limit`. Throws a ContractViolation that points at every invalid member.
 */
export function parseReplayRequest(value: unknown): ReplayRequest {
  const result = requestSchema.safeParse(value);
  if (!result.success) {
    const issues: ValidationIssue[] = result.error.issues.flatMap((issue) => {
      const pointer = issue.path.map((segment) => `/${pointerToken(String(segment))}`).join('');
      // zod reports all unknown members in one issue at the object, so each of them gets its own pointer here.
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => ({ pointer: `${pointer}/${pointerToken(key)}`, detail: `Unknown member ${JSON.stringify(key)}. The filter takes type, from, to and limit.` }));
      }
      return [{ pointer, detail: issue.message }];
    });
    throw new ContractViolation('INGEST_REPLAY_FILTER_INVALID', issues);
  }
  const { limit, ...filter } = result.data;
  return { filter, limit };
}
