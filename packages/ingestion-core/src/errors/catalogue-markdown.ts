import { LIMITS } from '../contract/limits.js';
import { ERROR_CATALOGUE, problemTypeUri } from './catalogue.js';

/** One limit of the ingest contract and the response a request over it gets. */
const CONTRACT_LIMITS: readonly (readonly [limit: string, value: string, response: string])[] = [
  ['Request body size', 'INGEST_BODY_LIMIT_BYTES, default 1 MiB (1048576 bytes)', '413 `INGEST_BODY_TOO_LARGE`'],
  ['Events per batch', 'INGEST_BATCH_MAX_EVENTS, default 1000', '413 `INGEST_BATCH_TOO_LARGE`'],
  ['Nesting depth of objects and arrays (body, and JSON data in binary mode)', String(LIMITS.maxNestingDepth), '400 `INGEST_BODY_TOO_DEEP`'],
  ['`type`', `1 to ${LIMITS.typeMaxBytes} bytes of UTF-8`, '400 `INGEST_VALIDATION_FAILED`'],
  ['`id`', `1 to ${LIMITS.idMaxLength} characters`, '400 `INGEST_VALIDATION_FAILED`'],
  ['`source`', `1 to ${LIMITS.sourceMaxLength} characters, a URI-reference`, '400 `INGEST_VALIDATION_FAILED`'],
  ['`subject`', `1 to ${LIMITS.subjectMaxLength} characters`, '400 `INGEST_VALIDATION_FAILED`'],
  ['`dataschema`', `1 to ${LIMITS.dataSchemaMaxLength} characters, an absolute URI`, '400 `INGEST_VALIDATION_FAILED`'],
  ['`datacontenttype` or binary-mode Content-Type', `1 to ${LIMITS.dataContentTypeMaxLength} characters, a media type`, '400 `INGEST_VALIDATION_FAILED`'],
  ['Extension attributes per event', String(LIMITS.maxExtensions), '400 `INGEST_VALIDATION_FAILED`'],
  ['Extension attribute name', `1 to ${LIMITS.extensionNameMaxLength} lower-case letters and digits`, '400 `INGEST_VALIDATION_FAILED`'],
  ['Extension attribute string value', `at most ${LIMITS.extensionValueMaxLength} characters`, '400 `INGEST_VALIDATION_FAILED`'],
  ['Request headers, all together', '16 KiB (Node.js default)', '431, sent by Node.js before the API sees the request'],
  ['Media type', 'see the contract', '415 `INGEST_MEDIA_TYPE_UNSUPPORTED`'],
  ['HTTP method', 'as listed in the Allow header', '405 `INGEST_METHOD_NOT_ALLOWED`'],
  ['Requests per API key', 'RATE_LIMIT_PER_MINUTE per API process, default 60000 per minute, or the key\'s own limit', '429 `INGEST_RATE_LIMITED`'],
];

const escapeCell = (text: string) => text.replaceAll('|', '\\|');

/** Renders the error catalogue and the contract's limits as the Markdown of docs/errors.md. */
export function renderErrorCatalogueMarkdown(): string {
  const lines = [
    '# Error catalogue and limits',
    '',
    '<!-- Generated from packages/ingestion-core/src/errors/catalogue.ts by `npm run docs:errors`; do not edit by hand. -->',
    '',
    'Every error response is an RFC 9457 problem details document (`application/problem+json`). Its members are',
    '`type` (a relative URI naming the code, which resolves to the entry below), `title`, `status`, `detail`,',
    '`instance` (the request path), `code` (below) and `requestId` (also in the logs).',
    '',
    'For invalid input, `errors` lists `{ pointer, header?, detail }` objects. `pointer` is a JSON Pointer (RFC 6901)',
    'to the bad member of the body, or in binary mode to the attribute, and `header` names the HTTP header that carried it.',
    '',
    '## Error codes',
    '',
    '| Code | Status | Title | How to fix | Problem type |',
    '|---|---|---|---|---|',
    ...Object.entries(ERROR_CATALOGUE).map(
      ([code, entry]) =>
        `| \`${code}\` | ${entry.status} | ${escapeCell(entry.title)} | ${escapeCell(entry.fix)} | \`${problemTypeUri(code as keyof typeof ERROR_CATALOGUE)}\` |`,
    ),
    '',
    '## Limits',
    '',
    '| Limit | Value | Response when exceeded |',
    '|---|---|---|',
    ...CONTRACT_LIMITS.map(([limit, value, response]) => `| ${escapeCell(limit)} | ${escapeCell(value)} | ${response} |`),
    '',
  ];
  return lines.join('\n');
}
