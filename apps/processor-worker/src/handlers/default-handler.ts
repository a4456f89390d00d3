import type { EventHandler } from '@ingestion/core';

/**
 * Handler for event types that have none of their own: it accepts the event without side effects,
 * so the event ends `processed`. Register a handler for the type to give it business logic.
 */
export const defaultHandler: EventHandler = {
  type: '*',
  async handle(event, { logger }) {
    logger.debug({ type: event.type }, 'no handler registered for this event type; marking it processed');
  },
};
