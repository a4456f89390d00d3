import type { OutgoingMessage } from './envelope.js';

/** Header of a dead-lettered message with the reason it will not be processed. */
export const DEAD_LETTER_REASON_HEADER = 'x-dead-letter-reason';

/** Returns a copy of a message with the reason it is dead-lettered in its headers. */
export function withDeadLetterReason(message: OutgoingMessage, reason: string): OutgoingMessage {
  const headers = { ...message.options.headers, [DEAD_LETTER_REASON_HEADER]: reason };
  return { ...message, options: { ...message.options, headers } };
}
