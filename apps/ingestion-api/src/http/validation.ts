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
        const described = properties[name]?.description;
        return { pointer: error.instancePath, detail: `${name} ${error.message}.${described === undefined ? '' : ` ${described}`}` };
      });
      return { error: new ParameterError(issues) };
    };
  });
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}
