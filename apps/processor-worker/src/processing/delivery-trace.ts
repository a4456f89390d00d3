import { extractTraceHeaders, startSpan, type DeliveredEvent, type EventEnvelope } from '@ingestion/core';
import { SpanKind, SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
import type { Message } from 'amqplib';

/** The consumer span of one delivery, a child of the publish span whose context the message carries. */
export interface DeliveryTrace {
  readonly span: Span;
  readonly context: Context;
}

export function startDeliveryTrace(message: Message, { envelope, traceHeaders }: DeliveredEvent): DeliveryTrace {
  return startSpan(
    `process ${envelope.type}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.operation.type': 'process',
        'messaging.destination.name': message.fields.exchange,
        'messaging.rabbitmq.destination.routing_key': message.fields.routingKey,
        'messaging.message.id': envelope.eventId,
        'ingestion.event.delivery_seq': envelope.deliverySeq,
      },
    },
    extractTraceHeaders(traceHeaders),
  );
}

/** Starts the span of one handler attempt, a child of its delivery's span. */
export function startHandlerTrace(delivery: DeliveryTrace, envelope: EventEnvelope, attempt: number): DeliveryTrace {
  return startSpan(`handle ${envelope.type}`, { attributes: { 'ingestion.event.type': envelope.type, 'ingestion.event.attempt': attempt } }, delivery.context);
}

/** Ends a span, marking it failed when `error` is given. */
export function endSpan(span: Span, error?: Error): void {
  if (error !== undefined) {
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  }
  span.end();
}
