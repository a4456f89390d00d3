import type { ValidationIssue } from '@ingestion/core';
import type { FastifyInstance } from 'fastify';
import Schema from 'typebox/schema';

/** Thrown by route validation for invalid path or query parameters; the error handler sends its issues. */
export class ParameterError extends Error {
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[]) {
    super(issues.map((issue) => `${issue.pointer}: ${issue.detail}`).join('; '));
    this.issues = issues;
  }
}

/** Names of the string formats that route parameters use, for messages such as "id must be a UUID". */
const FORMAT_NAMES: Record<string, string> = { uuid: 'a UUID' };

/**
 * Compiles route schemas with TypeBox and validates path and query parameters with them. Bodies and
 * headers are not validated here, because the ingest contract reads them from the raw bytes with the
 * same attribute schemas. Responses are serialised with JSON.stringify, so response schemas only document.
 */
export function registerSchemaCompilers(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart === 'body' || httpPart === 'headers') return () => true;
    const validator = Schema.Compile(schema as Parameters<typeof Schema.Compile>[0]);
    const properties = ((schema as { properties?: Record<string, { description?: string }> }).properties ?? {});
    return (data: unknown) => {
      if (validator.Check(data)) return { value: data };
      const issues = validator.Errors(data)[1].map((error) => {
        const name = error.instancePath.split('/')[1] ?? '';
        const format = error.keyword === 'format' ? FORMAT_NAMES[String(error.params['format'])] : undefined;
        const problem = format === undefined ? error.message : `must be ${format}`;
        const described = properties[name]?.description;
        // Parameter descriptions are noun phrases, such as "The id returned by the ingest request."
        const hint = described === undefined ? '' : ` Send ${described.charAt(0).toLowerCase()}${described.slice(1)}`;
        return { pointer: error.instancePath, detail: `${name} ${problem}.${hint}` };
      });
      return { error: new ParameterError(issues) };
    };
  });
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}
