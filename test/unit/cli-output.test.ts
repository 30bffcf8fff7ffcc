import { describe, expect, it } from 'vitest';
import { humanSize, sizeInWords } from '../../src/cli/output.js';

describe('sizes the CLI prints', () => {
  it('gives columns the short form and sentences their unit', () => {
    expect([0, 18, 1023, 4096, 5 * 1024 * 1024].map(humanSize)).toEqual(['0', '18', '1023', '4.0K', '5.0M']);
    expect([1, 18, 4096].map(sizeInWords)).toEqual(['1 byte', '18 bytes', '4.0KB']);
  });
});
