/**
 * Limits of the ingest contract. docs/errors.md lists each with the status code it causes. The body size
 * and the events per batch are configuration (INGEST_BODY_LIMIT_BYTES, INGEST_BATCH_MAX_EVENTS).
 */
export const LIMITS = {
  /** RabbitMQ routing keys carry the type and hold at most 255 bytes. */
  typeMaxBytes: 255,
  idMaxLength: 256,
  sourceMaxLength: 1024,
  subjectMaxLength: 1024,
  dataSchemaMaxLength: 2048,
  /** The content type travels as the AMQP content-type property, a short string of at most 255 bytes. */
  dataContentTypeMaxLength: 255,
  /** Maximum nesting depth of objects and arrays in a request body or in JSON data. */
  maxNestingDepth: 64,
  /** Maximum number of extension attributes on one event. */
  maxExtensions: 32,
  extensionNameMaxLength: 20,
  extensionValueMaxLength: 1024,
} as const;
