import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ContractViolation, eventFromBinary } from '../src/index.js';

const REQUIRED = { 'ce-specversion': '1.0', 'ce-id': 'b-1', 'ce-source': '/tests', 'ce-type': 'order.created' };

function violationOf(headers: Record<string, string>, body = Buffer.alloc(0)): ContractViolation {
  try {
    eventFromBinary({ headers, body });
  } catch (error) {
    assert.ok(error instanceof ContractViolation, `expected ContractViolation, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the request to be rejected');
}

describe('eventFromBinary', () => {
  it('reads attributes from headers and keeps the body as data', () => {
    const body = Buffer.from([0, 1, 0xff]);
    const event = eventFromBinary({
      headers: { ...REQUIRED, 'ce-subject': 's', 'ce-time': '2026-01-31T12:00:00Z', 'ce-tenant': 'acme', 'content-type': 'application/octet-stream' },
      body,
    });
    assert.equal(event.cloudEventId, 'b-1');
    assert.equal(event.source, '/tests');
    assert.equal(event.subject, 's');
    assert.equal(event.time, '2026-01-31T12:00:00Z');
    assert.equal(event.dataContentType, 'application/octet-stream');
    assert.deepEqual(event.extensions, { tenant: 'acme' });
    assert.ok(event.data?.equals(body));
  });

  it('stores no data for an empty body', () => {
    assert.equal(eventFromBinary({ headers: REQUIRED, body: Buffer.alloc(0) }).data, null);
  });

  it('percent-decodes header values as UTF-8', () => {
    const event = eventFromBinary({ headers: { ...REQUIRED, 'ce-subject': 'caf%C3%A9%20%25' }, body: Buffer.alloc(0) });
    assert.equal(event.subject, 'café %');
  });

  it('keeps JSON data text as sent', () => {
    const text = '{"b":1.50,"a":12345678901234567890}';
    const event = eventFromBinary({ headers: { ...REQUIRED, 'content-type': 'application/json' }, body: Buffer.from(text) });
    assert.equal(event.data?.toString(), text);
  });

  const rejected: [string, Record<string, string>, string, string | undefined][] = [
    ['a missing ce-id', { 'ce-specversion': '1.0', 'ce-source': '/s', 'ce-type': 't' }, '/id', 'ce-id'],
    ['a missing ce-source', { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-type': 't' }, '/source', 'ce-source'],
    ['specversion 0.3', { ...REQUIRED, 'ce-specversion': '0.3' }, '/specversion', 'ce-specversion'],
    ['a source that is not a URI-reference', { ...REQUIRED, 'ce-source': 'a b' }, '/source', 'ce-source'],
    ['a bad time', { ...REQUIRED, 'ce-time': 'noon' }, '/time', 'ce-time'],
    ['a relative dataschema', { ...REQUIRED, 'ce-dataschema': 'schemas/order' }, '/dataschema', 'ce-dataschema'],
    ['an invalid percent escape', { ...REQUIRED, 'ce-subject': '100%' }, '/subject', 'ce-subject'],
    ['an encoded NUL', { ...REQUIRED, 'ce-subject': 'a%00b' }, '/subject', 'ce-subject'],
    ['a bad extension name', { ...REQUIRED, 'ce-tenant_id': 'x' }, '/tenant_id', 'ce-tenant_id'],
    ['ce-datacontenttype', { ...REQUIRED, 'ce-datacontenttype': 'text/plain' }, '/datacontenttype', 'ce-datacontenttype'],
    ['a malformed Content-Type', { ...REQUIRED, 'content-type': 'json' }, '/datacontenttype', 'content-type'],
  ];
  for (const [name, headers, pointer, header] of rejected) {
    it(`rejects ${name}`, () => {
      const violation = violationOf(headers);
      assert.equal(violation.code, 'INGEST_VALIDATION_FAILED');
      assert.ok(
        violation.issues.some((issue) => issue.pointer === pointer && issue.header === header),
        `expected an issue at ${pointer} (${header}), got ${JSON.stringify(violation.issues)}`,
      );
    });
  }

  it('rejects JSON data that is not JSON', () => {
    const violation = violationOf({ ...REQUIRED, 'content-type': 'application/json' }, Buffer.from('{"a":'));
    assert.equal(violation.code, 'INGEST_BODY_INVALID_JSON');
    assert.equal(violation.issues[0]?.pointer, '/data');
  });

  it('rejects JSON data with a byte order mark', () => {
    const violation = violationOf({ ...REQUIRED, 'content-type': 'application/cloudevents-order+json' }, Buffer.from('\ufeff{}'));
    assert.equal(violation.code, 'INGEST_BODY_INVALID_JSON');
  });
});
