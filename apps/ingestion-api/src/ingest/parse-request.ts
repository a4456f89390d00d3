import {
  arrayElementTexts,
  ContractViolation,
  eventFromStructured,
  parseJsonBody,
  type NewEvent,
  type ValidationIssue,
} from '@ingestion/core';

/** Reads one structured-mode event from a request body. */
export function parseSingleEvent(body: Buffer | undefined): NewEvent {
  const { value, text } = parseJsonBody(requireBody(body));
  return eventFromStructured(value, text);
}

/**
 * Reads a batch: a JSON array of structured-mode events. Every invalid event is reported,
 * each issue pointing into the array, and no event of an invalid batch is stored.
 */
export function parseEventBatch(body: Buffer | undefined, maxEvents: number): NewEvent[] {
  const { value, text } = parseJsonBody(requireBody(body));
  if (!Array.isArray(value)) {
    throw new ContractViolation('INGEST_VALIDATION_FAILED', [{ pointer: '', detail: 'A batch must be a JSON array of events.' }]);
  }
  if (value.length === 0) {
    throw new ContractViolation('INGEST_VALIDATION_FAILED', [{ pointer: '', detail: 'A batch must hold at least one event.' }]);
  }
  if (value.length > maxEvents) {
    throw new ContractViolation('INGEST_BATCH_TOO_LARGE', [
      { pointer: '', detail: `The batch holds ${value.length} events; the limit is ${maxEvents}.` },
    ]);
  }
  const texts = arrayElementTexts(text);
  const events: NewEvent[] = [];
  const issues: ValidationIssue[] = [];
  value.forEach((element, index) => {
    try {
      events.push(eventFromStructured(element, texts[index]!, { pointerPrefix: `/${index}` }));
    } catch (error) {
      if (!(error instanceof ContractViolation)) throw error;
      issues.push(...error.issues);
    }
  });
  if (issues.length > 0) throw new ContractViolation('INGEST_VALIDATION_FAILED', issues);
  return events;
}

function requireBody(body: Buffer | undefined): Buffer {
  if (body === undefined || body.length === 0) {
    throw new ContractViolation('INGEST_BODY_MISSING', [{ pointer: '', detail: 'The request has no body.' }]);
  }
  return body;
}
