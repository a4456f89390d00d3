import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { arrayElementTexts, nestingDepth, objectMemberTexts } from '../src/index.js';

describe('objectMemberTexts', () => {
  it('returns each member value as written', () => {
    const members = objectMemberTexts(' { "a" : 1.0 , "b":{"c":[1, "]}"]}, "d":"x\\"y" } ');
    assert.equal(members.get('a'), '1.0');
    assert.equal(members.get('b'), '{"c":[1, "]}"]}');
    assert.equal(members.get('d'), '"x\\"y"');
  });

  it('decodes escaped member names', () => {
    assert.equal(objectMemberTexts('{"d\\u0061ta":true}').get('data'), 'true');
  });

  it('ends a string only at a quote after an even number of backslashes', () => {
    const members = objectMemberTexts('{"a":"\\\\","b":"\\\\\\"}","c":"x\\\\\\\\"}');
    assert.equal(members.get('a'), '"\\\\"');
    assert.equal(members.get('b'), '"\\\\\\"}"');
    assert.equal(members.get('c'), '"x\\\\\\\\"');
    assert.deepEqual(JSON.parse(`[${[...members.values()].join(',')}]`), ['\\', '\\"}', 'x\\\\']);
  });

  it('handles an empty object', () => {
    assert.equal(objectMemberTexts('{}').size, 0);
  });
});

describe('arrayElementTexts', () => {
  it('returns each element as written', () => {
    assert.deepEqual(arrayElementTexts('[ {"a":[1,2]} , 3e2,"x,y" ,null]'), ['{"a":[1,2]}', '3e2', '"x,y"', 'null']);
  });

  it('handles an empty array', () => {
    assert.deepEqual(arrayElementTexts('[ ]'), []);
  });
});

describe('nestingDepth', () => {
  it('counts objects and arrays but not brackets in strings', () => {
    assert.equal(nestingDepth('{"a":[{"b":"[[[["}]}'), 3);
    assert.equal(nestingDepth('1'), 0);
  });
});
