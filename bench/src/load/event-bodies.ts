/**
 * Request bodies of the benchmark: structured-mode events of about 300 bytes. One event in
 * ORDER_EVERY is an `order.created`, whose handler writes one `example_orders` row per processing,
 * so that counting those rows proves exactly-once effects. The others use the default handler.
 */
export const ORDER_EVERY = 20;

/** Event type of the events handled by the default handler. */
export const PLAIN_TYPE = 'bench.recorded';

/** Source of the events of one phase, so that each phase's events can be counted apart. */
export function phaseSource(phase: string): string {
  return `/bench/${phase}`;
}

function event(source: string, index: number): Record<string, unknown> {
  const isOrder = index % ORDER_EVERY === ORDER_EVERY - 1;
  return {
    specversion: '1.0',
    type: isOrder ? 'order.created' : PLAIN_TYPE,
    source,
    subject: `customer-${index % 1000}`,
    datacontenttype: 'application/json',
    data: {
      orderId: `B-${index}`,
      amountCents: 1250 + (index % 100),
      currency: 'EUR',
      items: [
        { sku: 'SKU-00042', quantity: 2, unitPriceCents: 400 },
        { sku: 'SKU-00077', quantity: 1, unitPriceCents: 450 },
      ],
      note: 'benchmark event with a payload of typical size',
    },
  };
}

/** Bodies for single-event POSTs, ORDER_EVERY of them, that a load generator sends in turn. */
export function singleEventBodies(source: string): string[] {
  return Array.from({ length: ORDER_EVERY }, (_, index) => JSON.stringify(event(source, index)));
}

/** One body for the batch endpoint with `size` events; ORDER_EVERY must divide `size` for the mix to hold. */
export function batchBody(source: string, size: number): string {
  return JSON.stringify(Array.from({ length: size }, (_, index) => event(source, index)));
}
