import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ContractViolation, eventFromStructured, parseJsonBody, type EventFormat } from '../src/index.js';

function parse(body: string, format: EventFormat) {
  const { value, text } = parseJsonBody(Buffer.from(body, 'utf8'));
  return eventFromStructured(value, text, { pointerPrefix: '', format });
}

function pointersOf(body: string, format: EventFormat): string[] {
  try {
    parse(body, format);
  } catch (error) {
    assert.ok(error instanceof ContractViolation);
    return error.issues.map((issue) => issue.pointer).sort();
  }
  assert.fail(`expected ${body} to be rejected`);
}

describe('structured mode', () => {
  it('requires specversion, id and source', () => {
    assert.deepEqual(pointersOf('{"type":"t"}', 'cloudevents'), ['/id', '/source', '/specversion']);
  });

  it('lets plain JSON omit them', () => {
    const event = parse('{"type":"t"}', 'json');
    assert.equal(event.specVersion, '1.0');
  });

  const cases: [string, string][] = [
    ['a source with a space', '{"type":"t","source":"a b"}'],
    ['an extension integer beyond 32 bits', '{"type":"t","count":2147483648}'],
    ['an extension number with a fraction', '{"type":"t","ratio":0.5}'],
    ['a media type without a subtype', '{"type":"t","datacontenttype":"json"}'],
    ['an unpaired surrogate in text data', '{"type":"t","datacontenttype":"text/plain","data":"\\ud800"}'],
  ];
  for (const [name, body] of cases) {
    it(`rejects ${name}`, () => {
      assert.equal(pointersOf(body, 'json').length, 1);
    });
  }

  it('accepts relative and absolute URI-references as source', () => {
    for (const source of ['/orders', 'orders', 'https://shop.example/orders?x=1#y', 'urn:uuid:0b7e4ac4-4a1b-4d0c-9a9c-6ad8d3f1d2a1']) {
      assert.equal(parse(JSON.stringify({ type: 't', source }), 'json').source, source);
    }
  });

  it('keeps 32-bit integer, boolean and string extensions', () => {
    const event = parse('{"type":"t","low":-2147483648,"flag":false,"tenant":"acme"}', 'json');
    assert.deepEqual(event.extensions, { low: -2147483648, flag: false, tenant: 'acme' });
  });
});
