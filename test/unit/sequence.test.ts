import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { inSequence } from '../../src/daemon/http/sequence.js';

const req = {} as Request;
const res = {} as Response;

/** Runs the sequence and resolves with what it passed on (undefined = continue, anything else = an error). */
const run = (handler: RequestHandler) =>
  new Promise<unknown>((resolve) => {
    handler(req, res, ((err?: unknown) => resolve(err)) as NextFunction);
  });

describe('inSequence', () => {
  it('runs each middleware in order and continues after the last', async () => {
    const seen: number[] = [];
    const step =
      (n: number): RequestHandler =>
      (_q, _s, next) => {
        seen.push(n);
        next();
      };
    expect(await run(inSequence(step(1), step(2), step(3)))).toBeUndefined();
    expect(seen).toEqual([1, 2, 3]);
  });

  it('stops at an error passed to next, thrown, or rejected, and hands it on', async () => {
    const boom = new Error('boom');
    let after = false;
    const later: RequestHandler = (_q, _s, next) => {
      after = true;
      next();
    };
    expect(await run(inSequence((_q, _s, next) => next(boom), later))).toBe(boom);
    expect(
      await run(
        inSequence(() => {
          throw boom;
        }, later),
      ),
    ).toBe(boom);
    expect(await run(inSequence(async () => Promise.reject(boom), later))).toBe(boom);
    expect(after).toBe(false);
  });

  it('ends where a middleware answers without calling next', async () => {
    let after = false;
    const handler = inSequence(
      () => {},
      () => {
        after = true;
      },
    );
    let passed = false;
    handler(req, res, () => {
      passed = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(after).toBe(false);
    expect(passed).toBe(false);
  });
});
