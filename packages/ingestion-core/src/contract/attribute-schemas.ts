import Type, { type TSchema } from 'typebox';
import Schema from 'typebox/schema';

import { LIMITS } from './limits.js';
import type { ValidationIssue } from './validation-issue.js';

/**
 * JSON Schemas of the CloudEvents 1.0 context attributes. The ingest parsers validate every attribute
 * with these compiled schemas, and the OpenAPI document at /openapi.json is built from the same objects,
 * so the published contract and the checks cannot drift apart.
 */

/** RFC 3339 date-time as CloudEvents requires for `time`: a zone is mandatory, no RFC 9557 suffix. */
const RFC3339_PATTERN =
  '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])[Tt]([01]\\d|2[0-3]):[0-5]\\d:([0-5]\\d|60)(\\.\\d+)?([Zz]|[+-]([01]\\d|2[0-3]):[0-5]\\d)$';

/** Media type of RFC 9110: type "/" subtype, then parameters whose values are tokens or quoted strings. */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE_PATTERN = `^${TOKEN}/${TOKEN}([ \\t]*;[ \\t]*${TOKEN}=(${TOKEN}|"([^"\\\\]|\\\\.)*"))*[ \\t]*$`;

const BASE64_PATTERN = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';

/** Context attributes of CloudEvents 1.0 that this API reads; every other member is an extension. */
export const STANDARD_ATTRIBUTES = ['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema'] as const;
export type StandardAttribute = (typeof STANDARD_ATTRIBUTES)[number];

/** CloudEvents 1.0: extension names are lower-case ASCII letters and digits; this API allows up to 20. */
export const EXTENSION_NAME = new RegExp(`^[a-z0-9]{1,${LIMITS.extensionNameMaxLength}}$`);

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/** A schema and the sentence that ends "<attribute> …" in error messages and in the API reference. */
interface AttributeRule {
  readonly schema: TSchema;
  readonly rule: string;
}

function attribute(schema: TSchema, summary: string, rule: string): AttributeRule {
  return { schema: { ...schema, description: `${summary} Must ${rule}.` }, rule: `must ${rule}` };
}

export const ATTRIBUTE_RULES: Readonly<Record<StandardAttribute | 'data_base64' | 'extension', AttributeRule>> = {
  specversion: attribute(Type.Literal('1.0'), 'CloudEvents version.', 'be "1.0", the only version this API accepts'),
  id: attribute(
    Type.String({ minLength: 1, maxLength: LIMITS.idMaxLength }),
    'Event id, unique per source; a resend with the same source and id is stored once.',
    `be a non-empty string of at most ${LIMITS.idMaxLength} characters`,
  ),
  source: attribute(
    Type.String({ minLength: 1, maxLength: LIMITS.sourceMaxLength, format: 'uri-reference' }),
    'Context in which the event happened.',
    `be a non-empty URI-reference (RFC 3986) of at most ${LIMITS.sourceMaxLength} characters, such as /orders or https://shop.example/orders`,
  ),
  type: attribute(
    Type.String({ minLength: 1, maxLength: LIMITS.typeMaxBytes }),
    'Event type; it selects the handler and is the RabbitMQ routing key.',
    `be a non-empty string of at most ${LIMITS.typeMaxBytes} bytes of UTF-8`,
  ),
  subject: attribute(
    Type.String({ minLength: 1, maxLength: LIMITS.subjectMaxLength }),
    'Subject of the event within its source.',
    `be a non-empty string of at most ${LIMITS.subjectMaxLength} characters`,
  ),
  time: attribute(
    Type.String({ format: 'date-time', pattern: RFC3339_PATTERN }),
    'When the event happened; stored and returned exactly as sent.',
    'be an RFC 3339 timestamp with a zone, such as 2026-01-31T12:00:00Z',
  ),
  datacontenttype: attribute(
    Type.String({ minLength: 1, maxLength: LIMITS.dataContentTypeMaxLength, pattern: MEDIA_TYPE_PATTERN }),
    'Media type of data.',
    `be a media type (RFC 9110) such as application/json or text/plain; charset=utf-8, of at most ${LIMITS.dataContentTypeMaxLength} characters`,
  ),
  dataschema: attribute(
    Type.String({ minLength: 1, maxLength: LIMITS.dataSchemaMaxLength, format: 'uri' }),
    'Schema that data adheres to.',
    `be an absolute URI (RFC 3986) of at most ${LIMITS.dataSchemaMaxLength} characters`,
  ),
  data_base64: attribute(Type.String({ pattern: BASE64_PATTERN }), 'Binary data, base64-encoded.', 'be base64 text (RFC 4648)'),
  extension: attribute(
    Type.Union([Type.String({ maxLength: LIMITS.extensionValueMaxLength }), Type.Boolean(), Type.Integer({ minimum: INT32_MIN, maximum: INT32_MAX })]),
    'Extension attribute.',
    `be a string of at most ${LIMITS.extensionValueMaxLength} characters, a boolean, or an integer from ${INT32_MIN} to ${INT32_MAX}`,
  ),
};

const validators = new Map(Object.entries(ATTRIBUTE_RULES).map(([name, { schema }]) => [name, Schema.Compile(schema)]));

/**
 * Checks one attribute value against its schema and against what PostgreSQL text can store, adding an
 * issue when it fails. `label` names the attribute in the message: the member name, or a header name.
 */
export function checkAttribute(
  kind: keyof typeof ATTRIBUTE_RULES,
  value: unknown,
  issue: { pointer: string; label: string; header?: string },
  issues: ValidationIssue[],
): boolean {
  const where = issue.header === undefined ? { pointer: issue.pointer } : { pointer: issue.pointer, header: issue.header };
  if (!validators.get(kind)!.Check(value) || (kind === 'type' && Buffer.byteLength(value as string) > LIMITS.typeMaxBytes)) {
    issues.push({ ...where, detail: `${issue.label} ${ATTRIBUTE_RULES[kind].rule}.` });
    return false;
  }
  if (typeof value === 'string' && !isStorableText(value)) {
    issues.push({
      ...where,
      detail: `${issue.label} must not contain the NUL character (U+0000) or unpaired surrogates, which PostgreSQL text cannot store.`,
    });
    return false;
  }
  return true;
}

/** PostgreSQL text cannot hold U+0000, and UTF-8 cannot encode an unpaired surrogate without changing it. */
function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && value.isWellFormed();
}

/** Names a member of an event may have: an extension name, which also covers the standard names, or data_base64. */
const MEMBER_NAME_PATTERN = `^([a-z0-9]{1,${LIMITS.extensionNameMaxLength}}|data_base64)$`;

/**
 * Schema of one event in JSON: structured mode (`strict`: specversion, id and source required) or the
 * plain `application/json` form, where they default. Built from ATTRIBUTE_RULES for the API reference.
 */
export function eventSchema(strict: boolean): TSchema {
  const rules = ATTRIBUTE_RULES;
  const optionalUnlessStrict = (schema: TSchema) => (strict ? schema : Type.Optional(schema));
  return Type.Object(
    {
      specversion: optionalUnlessStrict(rules.specversion.schema),
      id: optionalUnlessStrict(rules.id.schema),
      source: optionalUnlessStrict(rules.source.schema),
      type: rules.type.schema,
      subject: Type.Optional(rules.subject.schema),
      time: Type.Optional(rules.time.schema),
      datacontenttype: Type.Optional(rules.datacontenttype.schema),
      dataschema: Type.Optional(rules.dataschema.schema),
      data: Type.Optional(Type.Unknown({ description: 'Event data; JSON data is stored and returned byte for byte as sent.' })),
      data_base64: Type.Optional(rules.data_base64.schema),
    },
    {
      // Members not listed above are extensions. (@fastify/swagger rewrites patternProperties, so the
      // extension rule is split into a name pattern and a value schema.)
      propertyNames: { pattern: MEMBER_NAME_PATTERN },
      additionalProperties: rules.extension.schema,
      not: { required: ['data', 'data_base64'] },
      maxProperties: STANDARD_ATTRIBUTES.length + 2 + LIMITS.maxExtensions,
      description: strict
        ? 'A CloudEvent in the JSON event format (structured content mode).'
        : 'An event as plain JSON: the CloudEvents JSON format, with specversion, id and source optional.',
    },
  );
}
