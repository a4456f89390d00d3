import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ContractViolation, DEFAULT_EVENT_SOURCE, eventFromStructured, LIMITS, parseJsonBody } from '../src/index.js';

function parse(body: string) {
  const { value, text } = parseJsonBody(Buffer.from(body, 'utf8'));
  return eventFromStructured(value, text);
}

function issuesOf(body: string) {
  try {
    parse(body);
  } catch (error) {
    assert.ok(error instanceof ContractViolation, `expected ContractViolation, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${body} to be rejected`);
}

describe('eventFromStructured', () => {
  it('accepts a minimal event and fills defaults', () => {
    const event = parse('{"type":"order.created"}');
    assert.equal(event.type, 'order.created');
    assert.equal(event.source, DEFAULT_EVENT_SOURCE);
    assert.equal(event.cloudEventId, event.id);
    assert.match(event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(event.data, null);
    assert.equal(event.dataContentType, null);
  });

  it('accepts a structured CloudEvent as it is', () => {
    const event = parse(
      JSON.stringify({
        specversion: '1.0',
        id: 'A-1',
        source: 'https://shop.example/orders',
        type: 'order.created',
        subject: 'order/1',
        time: '2026-01-31T12:00:00.123+01:00',
        datacontenttype: 'application/json',
        dataschema: 'https://shop.example/schemas/order.json',
        tenant: 'acme',
        priority: 3,
        data: { orderId: 'A-1' },
      }),
    );
    assert.equal(event.cloudEventId, 'A-1');
    assert.equal(event.source, 'https://shop.example/orders');
    assert.equal(event.time, '2026-01-31T12:00:00.123+01:00');
    assert.equal(event.subject, 'order/1');
    assert.deepEqual(event.extensions, { tenant: 'acme', priority: 3 });
    assert.equal(event.data?.toString(), '{"orderId":"A-1"}');
  });

  it('keeps the exact text of JSON data', () => {
    const data = '{ "b": 1.50, "a": 12345678901234567890123, "s": "\\u00e9\\ud83d\\ude00", "n": -0, "e": 1E+2 }';
    const event = parse(`{"type":"t","data":${data}}`);
    assert.equal(event.data?.toString('utf8'), data);
    assert.equal(event.dataContentType, 'application/json');
  });

  it('takes the last data member like JSON.parse', () => {
    const event = parse('{"type":"t","data":1,"d\\u0061ta":[2, 3]}');
    assert.equal(event.data?.toString(), '[2, 3]');
  });

  it('stores null and scalar data', () => {
    assert.equal(parse('{"type":"t","data":null}').data?.toString(), 'null');
    assert.equal(parse('{"type":"t","data":"x"}').data?.toString(), '"x"');
  });

  it('decodes data_base64 into bytes', () => {
    const event = parse('{"type":"t","data_base64":"AAEC/w==","datacontenttype":"application/octet-stream"}');
    assert.deepEqual([...event.data!], [0, 1, 2, 255]);
    assert.equal(event.dataContentType, 'application/octet-stream');
  });

  it('keeps string data of a non-JSON content type as text', () => {
    const event = parse('{"type":"t","datacontenttype":"text/plain","data":"héllo"}');
    assert.equal(event.data?.toString('utf8'), 'héllo');
    assert.equal(event.dataContentType, 'text/plain');
  });

  it('gives the same fingerprint to the same content only', () => {
    const first = parse('{"type":"t","id":"1","data":{"a":1}}');
    const again = parse('{"type":"t","id":"1","data":{"a":1}}');
    const changed = parse('{"type":"t","id":"1","data":{"a":2}}');
    assert.ok(first.fingerprint.equals(again.fingerprint));
    assert.ok(!first.fingerprint.equals(changed.fingerprint));
  });

  it('keeps the fingerprint that earlier versions stored, so that their resends still match', () => {
    const event = parse('{"type":"t","source":"/s","id":"1","tenant":"acme","data":{"a":1}}');
    assert.equal(event.fingerprint.toString('hex'), '5fa55dae1b79f4abe8cd64e1cf94b9600b9b8ba95fffd951fad062386b3cebcd');
  });

  const rejected: [string, string, string][] = [
    ['missing type', '{}', '/type'],
    ['type not a string', '{"type":5}', '/type'],
    ['empty type', '{"type":""}', '/type'],
    ['type longer than a routing key', `{"type":"${'é'.repeat(200)}"}`, '/type'],
    ['bad specversion', '{"type":"t","specversion":"0.3"}', '/specversion'],
    ['bad time', '{"type":"t","time":"yesterday"}', '/time'],
    ['time without zone', '{"type":"t","time":"2026-01-01T00:00:00"}', '/time'],
    ['impossible date', '{"type":"t","time":"2026-02-30T00:00:00Z"}', '/time'],
    ['id too long', `{"type":"t","id":"${'x'.repeat(LIMITS.idMaxLength + 1)}"}`, '/id'],
    ['NUL in source', '{"type":"t","source":"a\\u0000b"}', '/source'],
    ['lone surrogate in subject', '{"type":"t","subject":"\\ud800"}', '/subject'],
    ['bad extension name', '{"type":"t","Tenant":"x"}', '/Tenant'],
    ['object extension value', '{"type":"t","tenant":{}}', '/tenant'],
    ['data and data_base64', '{"type":"t","data":1,"data_base64":"AA=="}', '/data_base64'],
    ['invalid base64', '{"type":"t","data_base64":"***"}', '/data_base64'],
    ['slash in name is escaped', '{"type":"t","a/b":1}', '/a~1b'],
  ];
  for (const [name, body, pointer] of rejected) {
    it(`rejects ${name}`, () => {
      const violation = issuesOf(body);
      assert.equal(violation.code, 'INGEST_VALIDATION_FAILED');
      assert.ok(
        violation.issues.some((issue) => issue.pointer === pointer),
        `expected an issue at ${pointer}, got ${JSON.stringify(violation.issues)}`,
      );
    });
  }

  it('reports every invalid attribute at once', () => {
    const violation = issuesOf('{"type":1,"time":"x","source":""}');
    assert.deepEqual(violation.issues.map((issue) => issue.pointer).sort(), ['/source', '/time', '/type']);
  });

  it('rejects a body that is not an object', () => {
    assert.equal(issuesOf('[1]').issues[0]?.pointer, '');
  });
});

describe('parseJsonBody', () => {
  it('rejects invalid UTF-8', () => {
    assert.throws(() => parseJsonBody(Buffer.from([0x7b, 0xff, 0x7d])), { code: 'INGEST_BODY_ENCODING_INVALID' });
  });

  it('rejects malformed JSON', () => {
    assert.throws(() => parseJsonBody(Buffer.from('{"type":')), { code: 'INGEST_BODY_INVALID_JSON' });
  });

  it('rejects nesting deeper than the limit', () => {
    const deep = `${'['.repeat(LIMITS.maxNestingDepth + 1)}${']'.repeat(LIMITS.maxNestingDepth + 1)}`;
    assert.throws(() => parseJsonBody(Buffer.from(deep)), { code: 'INGEST_BODY_TOO_DEEP' });
  });

  it('accepts nesting at the limit', () => {
    const atLimit = `${'['.repeat(LIMITS.maxNestingDepth)}${']'.repeat(LIMITS.maxNestingDepth)}`;
    assert.doesNotThrow(() => parseJsonBody(Buffer.from(atLimit)));
  });
});
