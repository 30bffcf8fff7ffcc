import { Decoder, Encoder } from 'socket.io-parser';
import { jsonTextSeparatorsOver, MAX_JSON_SEPARATORS } from '../json-members.js';

/**
 * Socket.IO's packet decoder with the body parsers' bound. Security (event loop): a text frame is parsed
 * with JSON.parse as soon as it arrives, before any handler sees it (and before the namespace's token
 * check, for the first frames); an `open` of 100,000 keys in a 1 MiB frame cost ~150 ms. A frame with more
 * than MAX_JSON_SEPARATORS members and items is refused unparsed: Socket.IO closes that connection.
 */
class BoundedDecoder extends Decoder {
  override add(obj: unknown): void {
    if (typeof obj === 'string' && jsonTextSeparatorsOver(obj, MAX_JSON_SEPARATORS)) {
      throw new Error(`message has more than ${MAX_JSON_SEPARATORS} members and items`);
    }
    super.add(obj);
  }
}

/** The `parser` option of the daemon's Socket.IO server (terminals and workbench). */
export const boundedParser = { Encoder, Decoder: BoundedDecoder };
