import type { EventHandler } from '@ingestion/core';

/**
 * Handler module for WORKER_HANDLER_MODULES: events of type `test.flaky` fail their first attempt
 * and succeed on the next, so a test can follow a retry through the outbox.
 */
const flakyHandler: EventHandler = {
  type: 'test.flaky',
  async handle(event, { logger }) {
    if (event.attempt === 1) throw new Error('first attempt fails on purpose');
    logger.info({ attempt: event.attempt }, 'flaky event handled');
  },
};

export default flakyHandler;
