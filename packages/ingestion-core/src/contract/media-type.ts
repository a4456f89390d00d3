/** Returns the essence of a media type: type and subtype in lower case, without parameters. */
export function mediaTypeEssence(contentType: string): string {
  return contentType.split(';', 1)[0]!.trim().toLowerCase();
}

/** Returns whether a media type is JSON, by the rule CloudEvents uses for `datacontenttype`. */
export function isJsonMediaType(contentType: string): boolean {
  const essence = mediaTypeEssence(contentType);
  return essence === 'application/json' || essence === 'text/json' || essence.endsWith('+json');
}
