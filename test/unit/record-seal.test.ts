import { describe, expect, it } from 'vitest';
import { RecordSeal } from '../../src/daemon/auth/record-seal.js';

const SECRET = 'record-seal-secret-0123456789abcdefghijkl';
const record = { id: 'tok_0123456789abcdef', userId: 'usr_1', scopes: ['containers'], userIsAdmin: false };

describe('RecordSeal', () => {
  const seal = new RecordSeal(SECRET);

  it('opens what it sealed under the same key name', () => {
    expect(seal.open('pat:abc', seal.seal('pat:abc', record))).toEqual(record);
  });

  it('refuses a record moved to another key, edited, unsealed, or sealed with another secret', () => {
    const sealed = seal.seal('pat:abc', record);
    expect(seal.open('pat:def', sealed)).toBeUndefined();
    expect(seal.open('pat:abc', sealed.replace('"userIsAdmin":false', '"userIsAdmin":true'))).toBeUndefined();
    expect(seal.open('pat:abc', JSON.stringify(record))).toBeUndefined();
    expect(seal.open('pat:abc', 'live')).toBeUndefined();
    expect(seal.open('pat:abc', 's1.')).toBeUndefined();
    expect(seal.open('pat:abc', `s1.${'A'.repeat(43)}.${JSON.stringify(record)}`)).toBeUndefined();
    const other = new RecordSeal('another-secret-of-at-least-32-characters!');
    expect(seal.open('pat:abc', other.seal('pat:abc', record))).toBeUndefined();
  });

  it('needs the shared secret', () => {
    expect(() => new RecordSeal('')).toThrow(/DISCO_JWT_SECRET/);
  });
});
