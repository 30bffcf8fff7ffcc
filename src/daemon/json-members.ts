/**
 * Security (event loop): a JSON text is checked for its number of members and items before `JSON.parse`
 * builds it. JSON.parse builds an object of 200,000 keys (2.4 MB) in ~300 ms, and nothing after the parse
 * can take that back. Used by the REST and MCP body parsers (http/json-body.ts) and the Socket.IO parser.
 */

/**
 * Most `,` and `:` outside strings in one JSON request body. An op's input has a few dozen keys; the largest
 * lists are an argv (10,000 arguments) and `env` (1,000 variables): room to spare. A terminal or workbench
 * message over Socket.IO has the same bound (terminals/socket-parser.ts).
 */
export const MAX_JSON_SEPARATORS = 20_000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * True when the JSON text has more than `max` commas and colons outside its strings. Linear: a string's end
 * is found with `indexOf` (file content in base64 is one long string, skipped natively), and each run of
 * backslashes before a quote is read once.
 */
export function jsonSeparatorsOver(buf: Uint8Array, max: number): boolean {
  let count = 0;
  let i = 0;
  while (i < buf.length) {
    const c = buf[i];
    if (c === QUOTE) {
      let j = i + 1;
      for (;;) {
        j = buf.indexOf(QUOTE, j);
        if (j < 0) return false; // unterminated: JSON.parse says so
        let backslashes = 0;
        for (let k = j - 1; k > i && buf[k] === BACKSLASH; k--) backslashes++;
        if (backslashes % 2 === 0) break;
        j++;
      }
      i = j + 1;
      continue;
    }
    if ((c === COMMA || c === COLON) && ++count > max) return true;
    i++;
  }
  return false;
}

/** The same count over a JSON text as a string (a Socket.IO text frame). */
export function jsonTextSeparatorsOver(text: string, max: number): boolean {
  // Each separator is one character: a shorter text cannot hold more.
  return text.length > max && jsonSeparatorsOver(Buffer.from(text, 'utf8'), max);
}
