import { PermanentError, type EventHandler } from '@ingestion/core';

/**
 * Handlers that the delivery tests load into a real worker process through WORKER_HANDLER_MODULES.
 * Each records its successful runs in `test_effects`, which the tests create.
 */
const recordEffect: EventHandler['handle'] = async (event, { db }) => {
  await db.query('INSERT INTO test_effects (event_id) VALUES ($1)', [event.id]);
};

const handlers: EventHandler[] = [
  {
    // Fails its first two attempts with a transient error.
    type: 'test.transient',
    async handle(event, context) {
      if (event.attempt < 3) throw new Error(`transient failure on attempt ${event.attempt}`);
      await recordEffect(event, context);
    },
  },
  {
    type: 'test.always-fails',
    async handle(event) {
      throw new Error(`failure on attempt ${event.attempt}`);
    },
  },
  {
    // Fails permanently until the test inserts its type into `test_fixed`.
    type: 'test.fixable',
    async handle(event, context) {
      const fixed = await context.db.query('SELECT 1 FROM test_fixed WHERE type = $1', [event.type]);
      if (fixed.rowCount === 0) throw new PermanentError('test.fixable is not fixed yet');
      await recordEffect(event, context);
    },
  },
  { type: 'test.effect', handle: recordEffect },
];

export default handlers;
