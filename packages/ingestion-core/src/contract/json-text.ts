/**
 * Helpers over JSON text that JSON.parse cannot give: the source text of a member's value,
 * so that a value is stored exactly as sent, and the nesting depth, to enforce a limit.
 * Every function expects text that JSON.parse has already accepted.
 */

// Character codes. The scanners compare codes, which is faster than comparing one-character strings.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** Returns the index just past the JSON string that starts at `start` (a double quote). */
function skipString(text: string, start: number): number {
  let index = start + 1;
  for (;;) {
    const quote = text.indexOf('"', index);
    if (quote === -1) throw new SyntaxError('Unterminated string in JSON text');
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    index = quote + 1;
  }
}

/** Returns the index just past the JSON value that starts at `start`. */
function skipValue(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === QUOTE) return skipString(text, start);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let index = start;
    for (let code = first; index < text.length; code = text.charCodeAt(++index)) {
      if (isWhitespace(code) || code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET) break;
    }
    return index;
  }
  let depth = 0;
  let index = start;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      index = skipString(text, index);
      continue;
    }
    if (code === OPEN_BRACE || code === OPEN_BRACKET) depth += 1;
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
    index += 1;
  }
  throw new SyntaxError('Unterminated container in JSON text');
}

function skipWhitespace(text: string, start: number): number {
  let index = start;
  while (index < text.length && isWhitespace(text.charCodeAt(index))) index += 1;
  return index;
}

/**
 * Returns the source text of each member of the top-level JSON object, by decoded member name.
 * When a name occurs twice the last one wins, as with JSON.parse.
 */
export function objectMemberTexts(text: string): Map<string, string> {
  const members = new Map<string, string>();
  let index = skipWhitespace(text, 0);
  if (text.charCodeAt(index) !== OPEN_BRACE) throw new SyntaxError('JSON text is not an object');
  index = skipWhitespace(text, index + 1);
  while (index < text.length && text.charCodeAt(index) !== CLOSE_BRACE) {
    const nameEnd = skipString(text, index);
    const rawName = text.slice(index + 1, nameEnd - 1);
    const name = rawName.includes('\\') ? (JSON.parse(text.slice(index, nameEnd)) as string) : rawName;
    index = skipWhitespace(text, nameEnd) + 1; // past the colon
    const valueStart = skipWhitespace(text, index);
    const valueEnd = skipValue(text, valueStart);
    members.set(name, text.slice(valueStart, valueEnd));
    index = skipWhitespace(text, valueEnd);
    if (text.charCodeAt(index) === COMMA) index = skipWhitespace(text, index + 1);
  }
  return members;
}

/** Returns the maximum nesting depth of objects and arrays in JSON text; a scalar has depth 0. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      index = skipString(text, index);
      continue;
    }
    if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth += 1;
      if (depth > max) max = depth;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth -= 1;
    }
    index += 1;
  }
  return max;
}

/** Returns the source text of each element of a top-level JSON array. */
export function arrayElementTexts(text: string): string[] {
  const elements: string[] = [];
  let index = skipWhitespace(text, 0);
  if (text.charCodeAt(index) !== OPEN_BRACKET) throw new SyntaxError('JSON text is not an array');
  index = skipWhitespace(text, index + 1);
  while (index < text.length && text.charCodeAt(index) !== CLOSE_BRACKET) {
    const end = skipValue(text, index);
    elements.push(text.slice(index, end));
    index = skipWhitespace(text, end);
    if (text.charCodeAt(index) === COMMA) index = skipWhitespace(text, index + 1);
  }
  return elements;
}
