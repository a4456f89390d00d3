/**
 * Helpers over JSON text that JSON.parse cannot give: the source text of a member's value,
 * so that a value is stored exactly as sent, and the nesting depth, to enforce a limit.
 * Every function expects text that JSON.parse has already accepted.
 */

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/** Returns the index just past the JSON string that starts at `start` (a double quote). */
function skipString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === '\\') index += 2;
    else if (char === '"') return index + 1;
    else index += 1;
  }
  throw new SyntaxError('Unterminated string in JSON text');
}

/** Returns the index just past the JSON value that starts at `start`. */
function skipValue(text: string, start: number): number {
  const first = text[start];
  if (first === '"') return skipString(text, start);
  if (first !== '{' && first !== '[') {
    let index = start;
    while (index < text.length && !WHITESPACE.has(text[index]!) && text[index] !== ',' && text[index] !== '}' && text[index] !== ']') {
      index += 1;
    }
    return index;
  }
  let depth = 0;
  let index = start;
  while (index < text.length) {
    const char = text[index];
    if (char === '"') {
      index = skipString(text, index);
      continue;
    }
    if (char === '{' || char === '[') depth += 1;
    else if (char === '}' || char === ']') {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
    index += 1;
  }
  throw new SyntaxError('Unterminated container in JSON text');
}

function skipWhitespace(text: string, start: number): number {
  let index = start;
  while (index < text.length && WHITESPACE.has(text[index]!)) index += 1;
  return index;
}

/**
 * Returns the source text of each member of the top-level JSON object, by decoded member name.
 * When a name occurs twice the last one wins, as with JSON.parse.
 */
export function objectMemberTexts(text: string): Map<string, string> {
  const members = new Map<string, string>();
  let index = skipWhitespace(text, 0);
  if (text[index] !== '{') throw new SyntaxError('JSON text is not an object');
  index = skipWhitespace(text, index + 1);
  while (index < text.length && text[index] !== '}') {
    const nameEnd = skipString(text, index);
    const name = JSON.parse(text.slice(index, nameEnd)) as string;
    index = skipWhitespace(text, nameEnd) + 1; // past the colon
    const valueStart = skipWhitespace(text, index);
    const valueEnd = skipValue(text, valueStart);
    members.set(name, text.slice(valueStart, valueEnd));
    index = skipWhitespace(text, valueEnd);
    if (text[index] === ',') index = skipWhitespace(text, index + 1);
  }
  return members;
}

/** Returns the maximum nesting depth of objects and arrays in JSON text; a scalar has depth 0. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    if (char === '"') {
      index = skipString(text, index);
      continue;
    }
    if (char === '{' || char === '[') {
      depth += 1;
      if (depth > max) max = depth;
    } else if (char === '}' || char === ']') {
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
  if (text[index] !== '[') throw new SyntaxError('JSON text is not an array');
  index = skipWhitespace(text, index + 1);
  while (index < text.length && text[index] !== ']') {
    const end = skipValue(text, index);
    elements.push(text.slice(index, end));
    index = skipWhitespace(text, end);
    if (text[index] === ',') index = skipWhitespace(text, index + 1);
  }
  return elements;
}
