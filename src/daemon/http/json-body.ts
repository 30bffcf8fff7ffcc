import express, { type RequestHandler } from 'express';

/**
 * Most `,` and `:` outside strings in one JSON request body. An op's input has a few dozen keys; the largest
 * lists are an argv (10,000 arguments) and `env` (1,000 variables): room to spare.
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

/** body-parser's `type` of the refusal; `fromBodyParser` (app.ts) answers it as validation_failed. */
export const TOO_MANY_MEMBERS = 'entity.too.many.members';

/**
 * express.json with a shape check before the parse. Security (event loop): JSON.parse builds an object of
 * 200,000 keys (2.4 MB, far under the body limit, which file writes need) in ~300 ms, more than the whole
 * request may cost, and nothing after the parse can take that back. The check refuses such a body first.
 */
export function jsonBody(limit: number): RequestHandler {
  return express.json({
    limit,
    strict: true,
    verify: (_req, _res, buf) => {
      if (jsonSeparatorsOver(buf, MAX_JSON_SEPARATORS)) {
        throw Object.assign(
          new Error(`request body has more than ${MAX_JSON_SEPARATORS} members and items: send less at once`),
          { type: TOO_MANY_MEMBERS },
        );
      }
    },
  });
}
