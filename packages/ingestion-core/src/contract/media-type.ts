/** Returns the essence of a media type: type and subtype in lower case, without parameters. */
export function mediaTypeEssence(contentType: string): string {
  return contentType.split(';', 1)[0]!.trim().toLowerCase();
}

/** Returns whether a media type is JSON, by the rule CloudEvents uses for `datacontenttype`. */
export function isJsonMediaType(contentType: string): boolean {
  const essence = mediaTypeEssence(contentType);
  return essence === 'application/json' || essence === 'text/json' || essence.endsWith('+json');
}

/** Charsets in which a JSON text may arrive. JSON exchanged between systems is UTF-8 (RFC 8259), and ASCII is a subset of it. */
const JSON_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/** Returns the charset parameter of a JSON media type when it names an encoding other than UTF-8, or undefined. */
export function nonUtf8Charset(contentType: string): string | undefined {
  for (const parameter of contentType.split(';').slice(1)) {
    const [name, value] = parameter.split('=', 2).map((part) => part.trim());
    if (name?.toLowerCase() !== 'charset' || value === undefined) continue;
    const charset = value.replace(/^"(.*)"$/, '$1');
    if (!JSON_CHARSETS.has(charset.toLowerCase())) return charset;
  }
  return undefined;
}
