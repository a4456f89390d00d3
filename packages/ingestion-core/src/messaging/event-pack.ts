import type { Message } from 'amqplib';

import { PermanentError } from '../errors/errors.js';
import { checkedEnvelope, type EventEnvelope, type OutgoingMessage, type UncheckedEnvelope } from './envelope.js';

/** An event as the worker receives it, with the W3C trace headers of the span that published it. */
export interface DeliveredEvent {
  readonly envelope: EventEnvelope;
  readonly traceHeaders: Readonly<Record<string, unknown>>;
}

/**
 * Header that marks a message containing several events of one type, and gives their number. RabbitMQ
 * spends about as much CPU on a message of fifty small events as on a message of one, so the relay
 * packs the events of a batch to take the broker's per-message cost off the events.
 */
export const PACK_COUNT_HEADER = 'x-event-count';

/** Content type of a pack's body. */
export const PACK_CONTENT_TYPE = 'application/vnd.ingestion.event-pack';

/** Length of a field's length prefix, in bytes. */
const PREFIX_BYTES = 4;

/** Data length written for an event without data. */
const NO_DATA = -1;

/**
 * Builds one persistent message for several events of one type. The body contains each event in turn:
 * a 32-bit big-endian length and the UTF-8 JSON of its attributes and trace headers, then a 32-bit
 * signed length of its data (-1 when it has none) and the data, byte for byte.
 */
export function toPackMessage(events: readonly DeliveredEvent[], appId: string): OutgoingMessage {
  const first = events[0];
  if (first === undefined) throw new RangeError('A pack needs at least one event');
  const attributes = events.map(packedAttributes);
  let size = 0;
  for (const [index, { envelope }] of events.entries()) {
    size += 2 * PREFIX_BYTES + Buffer.byteLength(attributes[index]!) + (envelope.data?.length ?? 0);
  }
  const content = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const [index, { envelope }] of events.entries()) {
    const written = content.write(attributes[index]!, offset + PREFIX_BYTES);
    offset = content.writeInt32BE(written, offset) + written;
    offset = content.writeInt32BE(envelope.data === null ? NO_DATA : envelope.data.length, offset);
    if (envelope.data !== null) offset += envelope.data.copy(content, offset);
  }
  return {
    routingKey: first.envelope.type,
    content,
    options: {
      persistent: true,
      messageId: first.envelope.eventId,
      type: first.envelope.type,
      appId,
      timestamp: Math.floor(Date.now() / 1000),
      contentType: PACK_CONTENT_TYPE,
      headers: { [PACK_COUNT_HEADER]: events.length },
    },
  };
}

/** Returns the JSON of an event's attributes and trace headers, as a pack stores it. JSON leaves out the undefined data. */
function packedAttributes({ envelope, traceHeaders }: DeliveredEvent): string {
  return JSON.stringify({ ...envelope, data: undefined, receivedAt: envelope.receivedAt.toISOString(), traceHeaders });
}

/** Reads the events of a pack. Throws PermanentError (MESSAGE_INVALID) when the body does not match the layout. */
export function fromPackMessage(message: Message): DeliveredEvent[] {
  const body = message.content;
  const expected = Number((message.properties.headers ?? {})[PACK_COUNT_HEADER]);
  const events: DeliveredEvent[] = [];
  let offset = 0;
  while (offset < body.length) {
    const attributesLength = readLength(body, offset, 0);
    const attributes = parseAttributes(body.subarray(offset + PREFIX_BYTES, offset + PREFIX_BYTES + attributesLength));
    offset += PREFIX_BYTES + attributesLength;
    const dataLength = readLength(body, offset, NO_DATA);
    offset += PREFIX_BYTES;
    const data = dataLength === NO_DATA ? null : body.subarray(offset, offset + dataLength);
    offset += Math.max(dataLength, 0);
    const { traceHeaders, ...fields } = attributes;
    events.push({ envelope: checkedEnvelope({ ...fields, data } as UncheckedEnvelope), traceHeaders: recordOf(traceHeaders) });
  }
  if (events.length !== expected) {
    throw invalid(`Message contains ${events.length} events, but its ${PACK_COUNT_HEADER} header gives ${String(expected)}`);
  }
  return events;
}

/** Reads a length prefix at `offset` and checks that the body contains that many bytes after it. */
function readLength(body: Buffer, offset: number, minimum: number): number {
  if (offset + PREFIX_BYTES > body.length) throw invalid('Message body ends inside a length prefix');
  const length = body.readInt32BE(offset);
  if (length < minimum || offset + PREFIX_BYTES + Math.max(length, 0) > body.length) {
    throw invalid(`Message body has a length prefix of ${length} at byte ${offset}, past its end`);
  }
  return length;
}

function parseAttributes(json: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch {
    throw invalid('Message body contains event attributes that are not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('Message body contains event attributes that are not a JSON object');
  return parsed as Record<string, unknown>;
}

function recordOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function invalid(message: string): PermanentError {
  return new PermanentError(message, { code: 'MESSAGE_INVALID' });
}
