import { readDelivery, toMessage, type EventEnvelope } from '@ingestion/core';
import type { Message } from 'amqplib';
import type pg from 'pg';

import type { InboundEvent } from '../../src/processing/batch-processor.js';

/** Stores an event row as the API would, and returns the envelope of its first delivery. */
export async function storeEvent(pool: pg.Pool, fields: { id: string; type: string; data: unknown }): Promise<EventEnvelope> {
  const data = Buffer.from(JSON.stringify(fields.data));
  await pool.query(
    `INSERT INTO events (id, cloud_event_id, source, type, data_content_type, data, fingerprint)
     VALUES ($1::uuid, $1::text, '/tests', $2, 'application/json', $3, '\\x00')`,
    [fields.id, fields.type, data],
  );
  return {
    eventId: fields.id,
    deliverySeq: 1,
    cloudEventId: fields.id,
    source: '/tests',
    type: fields.type,
    specVersion: '1.0',
    subject: null,
    time: null,
    dataContentType: 'application/json',
    dataSchema: null,
    data,
    extensions: {},
    receivedAt: new Date(),
  };
}

/** Builds the AMQP message the relay would publish for an envelope, as a consumer receives it. */
export function deliveredMessage(envelope: EventEnvelope): Message {
  const outgoing = toMessage(envelope, 'test');
  return {
    content: outgoing.content,
    fields: { deliveryTag: 1, redelivered: false, exchange: 'events', routingKey: outgoing.routingKey, messageCount: 0, consumerTag: 'test' },
    properties: {
      contentType: outgoing.options.contentType,
      contentEncoding: undefined,
      headers: outgoing.options.headers ?? {},
      deliveryMode: 2,
      priority: undefined,
      correlationId: undefined,
      replyTo: undefined,
      expiration: undefined,
      messageId: outgoing.options.messageId,
      timestamp: outgoing.options.timestamp,
      type: outgoing.options.type,
      userId: undefined,
      appId: outgoing.options.appId,
      clusterId: undefined,
    },
  } as Message;
}

/** Builds the event of an envelope as the consumer hands it to the batch processor. */
export function inboundEvent(envelope: EventEnvelope): InboundEvent {
  const message = deliveredMessage(envelope);
  return { event: readDelivery(message)[0]!, message };
}
