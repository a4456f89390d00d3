import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { Ajv } from 'ajv';
import { parse } from 'yaml';

/** The parts of a Compose service that the checks read. */
export interface ComposeService {
  readonly image?: string;
  readonly build?: string | { readonly context?: string; readonly dockerfile?: string };
  readonly environment?: Readonly<Record<string, string | number | boolean | null>> | readonly string[];
  readonly healthcheck?: { readonly test?: string | readonly string[]; readonly disable?: boolean };
  readonly depends_on?: readonly string[] | Readonly<Record<string, { readonly condition: string }>>;
  readonly ports?: readonly (string | number | object)[];
  readonly volumes?: readonly (string | object)[];
  readonly container_name?: string;
  readonly restart?: string;
  readonly stop_grace_period?: string;
}

export interface ComposeDocument {
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly volumes?: Readonly<Record<string, unknown>>;
}

/**
 * Returns the Compose Specification JSON schema that the dclint package ships in `schemas/`. dclint
 * copies it from the compose-spec repository, so its version follows the pinned dclint version.
 */
export async function readComposeSchema(): Promise<object> {
  const manifest = createRequire(import.meta.url).resolve('dclint/package.json');
  return JSON.parse(await readFile(join(dirname(manifest), 'schemas', 'compose.schema.json'), 'utf8')) as object;
}

/** Parses a Compose file as Compose does, resolving anchors, aliases and `<<` merge keys. */
export function parseComposeText(text: string): unknown {
  return parse(text, { merge: true, strict: true, uniqueKeys: true });
}

/** Validates a parsed Compose document against the schema and returns one message per violation. */
export function validateComposeDocument(schema: object, document: unknown): string[] {
  // The schema names draft-07 by its https address, which Ajv does not know under that spelling, and
  // uses keywords that Ajv's strict mode rejects, such as `"format": "duration"`.
  const draft07 = { ...schema, $schema: 'http://json-schema.org/draft-07/schema#' };
  const validate = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(draft07);
  if (validate(document)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'} ${JSON.stringify(error.params)}`);
}

/**
 * Replaces `${NAME}`, `${NAME:-default}` and `${NAME-default}` in every string of a parsed Compose
 * document with values from `variables`, and `$$` with `$`, as Compose does before it starts anything.
 * Throws on other forms, such as `${NAME:?message}`, which the checks do not need.
 */
export function interpolate<T>(value: T, variables: Readonly<Record<string, string | undefined>>): T {
  if (typeof value === 'string') return interpolateString(value, variables) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => interpolate(item, variables)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, variables)])) as T;
  }
  return value;
}

function interpolateString(text: string, variables: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$\$|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, braced: string | undefined, bare: string | undefined) => {
    if (match === '$$') return '$';
    if (bare !== undefined) return variables[bare] ?? '';
    const expression = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)(.*))?$/s.exec(braced ?? '');
    if (expression === null) throw new Error(`Unsupported interpolation ${match}`);
    const [, name, operator, fallback] = expression;
    const current = variables[name!];
    if (operator === ':-') return current === undefined || current === '' ? (fallback ?? '') : current;
    if (operator === '-') return current ?? fallback ?? '';
    return current ?? '';
  });
}

/** Reads a Compose file and returns its text and its parsed, uninterpolated document. */
export async function readComposeFile(path: string): Promise<{ text: string; document: unknown }> {
  const text = await readFile(path, 'utf8');
  return { text, document: parseComposeText(text) };
}

/** Returns the environment of a service as a map, whether the file lists it as a map or as `NAME=value` items. */
export function serviceEnvironment(service: ComposeService): Record<string, string> {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      (environment as readonly string[]).map((item) => {
        const separator = item.indexOf('=');
        return separator === -1 ? [item, ''] : [item.slice(0, separator), item.slice(separator + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, value === null ? '' : String(value)]));
}
