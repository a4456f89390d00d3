#!/usr/bin/env node
import { writeFile } from 'node:fs/promises';

import { renderErrorCatalogueMarkdown } from '../errors/catalogue-markdown.js';

/** Writes docs/errors.md from the error catalogue. Run from the repository root: `npm run docs:errors`. */
const target = process.argv[2] ?? 'docs/errors.md';
await writeFile(target, renderErrorCatalogueMarkdown());
console.log(`wrote ${target}`);
