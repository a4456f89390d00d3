import { jsonData, PermanentError, type EventHandler } from '@ingestion/core';

/** Data of an `order.created` event. */
interface OrderCreated {
  orderId: string;
  amountCents: number;
  currency: string;
}

/**
 * Example handler: records each created order in the `example_orders` table. The row is written in
 * the worker's transaction, so it exists exactly once per processed event, even when RabbitMQ
 * delivers the message twice. Invalid order data fails the event at once, without retries.
 *
 * Try it: POST {"type":"order.created","data":{"orderId":"A-1","amountCents":1250,"currency":"EUR"}}
 * to /Ingestion/ingest, then `SELECT * FROM example_orders`.
 */
export const orderCreatedHandler: EventHandler = {
  type: 'order.created',
  async handle(event, { db, logger }) {
    const order = jsonData<Partial<OrderCreated>>(event);
    if (typeof order.orderId !== 'string' || order.orderId.length === 0) {
      throw new PermanentError('order.created data needs a non-empty string orderId');
    }
    if (!Number.isSafeInteger(order.amountCents) || order.amountCents! < 0) {
      throw new PermanentError('order.created data needs amountCents, a non-negative integer');
    }
    if (typeof order.currency !== 'string' || !/^[A-Z]{3}$/.test(order.currency)) {
      throw new PermanentError('order.created data needs currency, an ISO 4217 code such as EUR');
    }
    await db.query('INSERT INTO example_orders (event_id, order_id, amount_cents, currency) VALUES ($1, $2, $3, $4)', [
      event.id,
      order.orderId,
      order.amountCents,
      order.currency,
    ]);
    logger.debug({ orderId: order.orderId }, 'order recorded');
  },
};
