import type { Message } from 'amqplib';

import { fromMessage } from './envelope.js';
import { fromPackMessage, PACK_COUNT_HEADER, type DeliveredEvent } from './event-pack.js';

/**
 * Reads the events of a delivered message: a pack of several events, or a single event in
 * CloudEvents binary style. Throws PermanentError (MESSAGE_INVALID) when the message is not one of ours.
 */
export function readDelivery(message: Message): DeliveredEvent[] {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  if (headers[PACK_COUNT_HEADER] !== undefined) return fromPackMessage(message);
  return [{ envelope: fromMessage(message), traceHeaders: headers }];
}
