import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';

import { ERROR_CATALOGUE, renderErrorCatalogueMarkdown } from '../src/index.js';

const DOCS_FILE = new URL('../../../../docs/errors.md', import.meta.url);

describe('error catalogue', () => {
  it('matches docs/errors.md', async () => {
    const committed = await readFile(DOCS_FILE, 'utf8');
    assert.equal(committed, renderErrorCatalogueMarkdown(), 'docs/errors.md is out of date: run npm run build && npm run docs:errors');
  });

  it('gives every code a status and a fix', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      assert.match(code, /^INGEST_[A-Z_]+$/);
      assert.ok(entry.status >= 400, code);
      assert.ok(entry.status < 600, code);
      assert.ok(entry.fix.length > 20, code);
    }
  });
});
