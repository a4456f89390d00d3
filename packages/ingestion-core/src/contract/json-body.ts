import { nestingDepth } from './json-text.js';
import { LIMITS } from './limits.js';
import { ContractViolation } from './validation-issue.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes bytes as strict UTF-8 JSON, enforcing the nesting limit. Returns the parsed value and its
 * text; throws ContractViolation on invalid input, with `pointer` and `header` naming where it came from.
 */
export function parseJsonBody(body: Buffer, where: { pointer: string; header?: string } = { pointer: '' }): { value: unknown; text: string } {
  const part = where.pointer === '' ? 'The body' : 'The data';
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new ContractViolation('INGEST_BODY_ENCODING_INVALID', [{ ...where, detail: `${part} is not valid UTF-8.` }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'parse error';
    throw new ContractViolation('INGEST_BODY_INVALID_JSON', [{ ...where, detail: `${part} is not valid JSON: ${reason}` }]);
  }
  const depth = nestingDepth(text);
  if (depth > LIMITS.maxNestingDepth) {
    throw new ContractViolation('INGEST_BODY_TOO_DEEP', [
      { ...where, detail: `${part} nests objects and arrays ${depth} levels deep; the limit is ${LIMITS.maxNestingDepth}.` },
    ]);
  }
  return { value, text };
}
