import type { EventHandler } from '@ingestion/core';

/** Event type whose events the capture handler records. */
export const CAPTURE_TYPE = 'fidelity.check';

/**
 * Worker handler module for tests (WORKER_HANDLER_MODULES): records what the worker hands to a handler
 * in the `captured_events` table, which the test creates, so the test can compare it with what it sent.
 */
const captureHandler: EventHandler = {
  type: CAPTURE_TYPE,
  async handle(event, { db }) {
    await db.query('INSERT INTO captured_events (event_id, data_content_type, data, extensions) VALUES ($1, $2, $3, $4)', [
      event.id,
      event.dataContentType,
      event.data,
      JSON.stringify(event.extensions),
    ]);
  },
};

export default captureHandler;
