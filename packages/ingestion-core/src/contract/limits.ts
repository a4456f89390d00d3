/** Limits of the ingest contract. Each is documented in the README with the status code it causes. */
export const LIMITS = {
  /** RabbitMQ routing keys carry the type and hold at most 255 bytes. */
  typeMaxBytes: 255,
  idMaxLength: 256,
  sourceMaxLength: 1024,
  subjectMaxLength: 1024,
  dataSchemaMaxLength: 2048,
  dataContentTypeMaxLength: 256,
  /** Maximum nesting depth of objects and arrays in a request body. */
  maxNestingDepth: 64,
  /** Maximum number of extension attributes on one event. */
  maxExtensions: 32,
  extensionValueMaxLength: 1024,
} as const;
