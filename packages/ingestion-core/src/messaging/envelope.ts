import type { Message, Options } from 'amqplib';

import { PermanentError } from '../errors/errors.js';

/**
 * The message that carries one event through RabbitMQ, in the style of the CloudEvents binary
 * content mode: the body is the event's data, byte for byte, and the attributes travel as headers
 * named `cloudEvents:<attribute>`. The internal event id is the AMQP message id. The relay adds the
 * W3C `traceparent` and `tracestate` headers of its publish span (see telemetry/trace-context.ts).
 */
export interface EventEnvelope {
  readonly eventId: string;
  /** Delivery number from the outbox row; the worker uses it to recognise a duplicate. */
  readonly deliverySeq: number;
  readonly cloudEventId: string;
  readonly source: string;
  readonly type: string;
  readonly specVersion: string;
  readonly subject: string | null;
  readonly time: string | null;
  readonly dataContentType: string | null;
  readonly dataSchema: string | null;
  readonly data: Buffer | null;
  readonly extensions: Readonly<Record<string, string | number | boolean>>;
  readonly receivedAt: Date;
}

const ATTRIBUTE_PREFIX = 'cloudEvents:';
const DELIVERY_SEQ_HEADER = 'x-delivery-seq';
const HAS_DATA_HEADER = 'x-has-data';
const RECEIVED_AT_HEADER = 'x-received-at';

export interface OutgoingMessage {
  readonly routingKey: string;
  readonly content: Buffer;
  readonly options: Options.Publish;
}

/** Builds the persistent AMQP message for an event, with the W3C trace headers of the span that publishes it. */
export function toMessage(envelope: EventEnvelope, appId: string, traceHeaders: Readonly<Record<string, unknown>> = {}): OutgoingMessage {
  const headers: Record<string, unknown> = {
    ...traceHeaders,
    [`${ATTRIBUTE_PREFIX}specversion`]: envelope.specVersion,
    [`${ATTRIBUTE_PREFIX}id`]: envelope.cloudEventId,
    [`${ATTRIBUTE_PREFIX}source`]: envelope.source,
    [`${ATTRIBUTE_PREFIX}type`]: envelope.type,
    [DELIVERY_SEQ_HEADER]: envelope.deliverySeq,
    [HAS_DATA_HEADER]: envelope.data !== null,
    [RECEIVED_AT_HEADER]: envelope.receivedAt.toISOString(),
  };
  if (envelope.subject !== null) headers[`${ATTRIBUTE_PREFIX}subject`] = envelope.subject;
  if (envelope.time !== null) headers[`${ATTRIBUTE_PREFIX}time`] = envelope.time;
  if (envelope.dataSchema !== null) headers[`${ATTRIBUTE_PREFIX}dataschema`] = envelope.dataSchema;
  for (const [name, value] of Object.entries(envelope.extensions)) headers[`${ATTRIBUTE_PREFIX}${name}`] = value;

  const options: Options.Publish = {
    persistent: true,
    messageId: envelope.eventId,
    type: envelope.type,
    appId,
    timestamp: Math.floor(envelope.receivedAt.getTime() / 1000),
    headers,
  };
  if (envelope.dataContentType !== null) options.contentType = envelope.dataContentType;
  return { routingKey: envelope.type, content: envelope.data ?? Buffer.alloc(0), options };
}

/** Reads an event back from a delivered single-event message. Throws PermanentError when the message is not one of ours. */
export function fromMessage(message: Message): EventEnvelope {
  const { properties } = message;
  const headers = (properties.headers ?? {}) as Record<string, unknown>;
  const attribute = (name: string): string | null => {
    const value = headers[`${ATTRIBUTE_PREFIX}${name}`];
    return typeof value === 'string' ? value : null;
  };
  const extensions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers)) {
    const name = key.slice(ATTRIBUTE_PREFIX.length);
    if (key.startsWith(ATTRIBUTE_PREFIX) && !STANDARD_ATTRIBUTES.has(name)) extensions[name] = value;
  }
  return checkedEnvelope({
    eventId: properties.messageId,
    deliverySeq: headers[DELIVERY_SEQ_HEADER],
    cloudEventId: attribute('id'),
    source: attribute('source'),
    type: attribute('type'),
    specVersion: attribute('specversion') ?? '1.0',
    subject: attribute('subject'),
    time: attribute('time'),
    dataContentType: typeof properties.contentType === 'string' ? properties.contentType : null,
    dataSchema: attribute('dataschema'),
    data: headers[HAS_DATA_HEADER] === false ? null : message.content,
    extensions,
    receivedAt: headers[RECEIVED_AT_HEADER],
  });
}

/** The fields of an envelope as read from a message, before they were checked. */
export type UncheckedEnvelope = { readonly [K in keyof EventEnvelope]: unknown };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks the fields that the worker relies on and returns them as an envelope; throws PermanentError (MESSAGE_INVALID) when one is wrong. */
export function checkedEnvelope(fields: UncheckedEnvelope): EventEnvelope {
  const { eventId } = fields;
  if (typeof eventId !== 'string' || !UUID.test(eventId)) {
    throw new PermanentError('Message has no event id: its message_id property is missing or not a UUID', { code: 'MESSAGE_INVALID' });
  }
  const deliverySeq = Number(fields.deliverySeq);
  if (!Number.isSafeInteger(deliverySeq) || deliverySeq < 1) {
    throw new PermanentError(`Message ${eventId} has no valid ${DELIVERY_SEQ_HEADER} header`, { code: 'MESSAGE_INVALID' });
  }
  const { type, source, cloudEventId } = fields;
  if (typeof type !== 'string' || typeof source !== 'string' || typeof cloudEventId !== 'string') {
    throw new PermanentError(`Message ${eventId} lacks the CloudEvents type, source or id header`, { code: 'MESSAGE_INVALID' });
  }
  const receivedAt = new Date(String(fields.receivedAt ?? ''));
  return {
    eventId,
    deliverySeq,
    cloudEventId,
    source,
    type,
    specVersion: typeof fields.specVersion === 'string' ? fields.specVersion : '1.0',
    subject: stringOrNull(fields.subject),
    time: stringOrNull(fields.time),
    dataContentType: stringOrNull(fields.dataContentType),
    dataSchema: stringOrNull(fields.dataSchema),
    data: Buffer.isBuffer(fields.data) ? fields.data : null,
    extensions: primitivesOf(fields.extensions),
    receivedAt: Number.isNaN(receivedAt.getTime()) ? new Date(0) : receivedAt,
  };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** Keeps the string, number and boolean members of an object: the values a CloudEvents extension can have. */
function primitivesOf(value: unknown): Record<string, string | number | boolean> {
  const result: Record<string, string | number | boolean> = {};
  if (typeof value !== 'object' || value === null) return result;
  for (const [name, member] of Object.entries(value)) {
    if (typeof member === 'string' || typeof member === 'number' || typeof member === 'boolean') result[name] = member;
  }
  return result;
}

const STANDARD_ATTRIBUTES = new Set(['specversion', 'id', 'source', 'type', 'subject', 'time', 'dataschema']);
