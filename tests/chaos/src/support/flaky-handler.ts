import type { EventHandler } from '@ingestion/core';

/**
 * Handler the chaos suite loads into its workers through WORKER_HANDLER_MODULES: it fails the first
 * attempt of every `chaos.flaky` event with a transient error, so each such event goes through one
 * retry scheduled in the outbox, and succeeds on the second.
 */
const flakyHandler: EventHandler = {
  type: 'chaos.flaky',
  async handle(event) {
    if (event.attempt === 1) throw new Error('chaos.flaky fails its first attempt on purpose');
  },
};

export default flakyHandler;
