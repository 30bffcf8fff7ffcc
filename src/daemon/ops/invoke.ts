import type { z } from 'zod';
import { checkedVersion } from '../auth/principal-cache.js';
import { DiscoError, type ErrorCode } from '../errors.js';
import { parseInput } from './input.js';
import { type AnyZodObject, authorize, type Op, type OpContext, targetRef } from './op.js';

/**
 * Runs one op for one caller: scope check, input validation, the handler, then output shaping (the
 * output schema strips anything internal such as absolute paths). REST and MCP both call this, so the
 * scope check and the audit log are the same on every surface.
 */
export async function invokeOp<I extends AnyZodObject, O extends z.ZodType>(
  op: Op<I, O>,
  rawInput: unknown,
  ctx: OpContext,
): Promise<z.output<O>> {
  let input: z.output<I> | undefined;
  const started = performance.now();
  const observe = (code: ErrorCode | undefined) =>
    ctx.services.observer?.opDone(op.name, ctx.transport ?? 'rest', (performance.now() - started) / 1000, code);
  try {
    authorize(op, ctx.principal);
    input = parseInput(op.input, rawInput ?? {});
    const cluster = ctx.forwarded ? undefined : ctx.services.cluster;
    if (cluster) {
      // Another instance holds the container or process: it runs the op (and audits it).
      const where = await cluster.placement(op, input, ctx.principal.userId).catch((err: unknown) => {
        // Redis unreachable: serve from this instance what it holds; the rest is not found here.
        if (err instanceof DiscoError) throw err;
        return undefined;
      });
      if (where) {
        const relay = ctx.wantsProgress ? ctx.progress : undefined;
        return op.output.parse(await cluster.forward(where, op.name, input, ctx.principal, ctx.signal, relay));
      }
    }
    const result = op.output.parse(await op.run(input, ctx));
    if (op.audit) audit(op, input, ctx, 'ok');
    if (op.changesWorkspace) await workspaceChanged(op, input, ctx);
    if (ctx.services.cluster && op.cluster) {
      await ctx.services.cluster.recordLocal(op.cluster, result, ctx.principal.userId).catch((err: Error) => {
        ctx.services.log.warn({ err: err.message, op: op.name }, 'could not record the container in Redis');
      });
      if (cluster && op.cluster === 'list_merged')
        return (await mergeContainerLists(cluster, op.name, ctx, result)) as z.output<O>;
    }
    observe(undefined);
    return result;
  } catch (err) {
    const code = err instanceof DiscoError ? err.code : 'internal';
    observe(code);
    const denied = code === 'forbidden' || code === 'command_refused' || code === 'sandbox_required';
    // Validation failures of audited ops are noise, not events: nothing was attempted.
    if ((op.audit && input !== undefined) || denied) audit(op, input, ctx, denied ? 'denied' : 'failed', code, err);
    throw err;
  }
}

/** A call that may have changed files refreshes the container's index (when it has one). */
async function workspaceChanged(op: Op, input: Record<string, unknown>, ctx: OpContext): Promise<void> {
  const ref = targetRef(op, input);
  if (ref === undefined) return;
  try {
    // As the op saw it (the version its token was checked at): a container deleted since has no index anyway.
    const seen = checkedVersion(ctx.principal);
    ctx.services.rag.changed(await ctx.services.containers.get(ctx.principal.userId, ref, seen));
  } catch (err) {
    // The call succeeded; a container gone meanwhile has no index to refresh.
    ctx.services.log.debug({ err, op: op.name }, 'no index refresh after the call');
  }
}

function audit(
  op: Op,
  input: Record<string, unknown> | undefined,
  ctx: OpContext,
  outcome: 'ok' | 'denied' | 'failed',
  code?: string,
  err?: unknown,
): void {
  const { principal } = ctx;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const ref = str(input?.container) ?? str(input?.id);
  const path = str(input?.path) ?? str(input?.from);
  const command = input?.command;
  const detail: Record<string, unknown> = {};
  // Only the program: a command line may carry secrets.
  if (command !== undefined) detail.program = Array.isArray(command) ? command[0] : String(command).split(/\s+/)[0];
  if (str(input?.remote)) detail.remote = input?.remote;
  if (code) detail.error = code;
  if (err instanceof DiscoError && err.code === 'command_refused') detail.rule = err.details?.rule;
  if (principal.clientId) detail.clientId = principal.clientId;
  try {
    ctx.services.auth.audit({
      userId: principal.userId,
      action: op.name,
      target: ref && path ? `${ref}:${path}` : (ref ?? path ?? null),
      outcome,
      via: principal.via,
      ip: principal.from?.ip ?? null,
      userAgent: principal.from?.userAgent ?? null,
      detail: Object.keys(detail).length > 0 ? detail : null,
    });
  } catch (auditErr) {
    ctx.services.log.error({ err: auditErr, op: op.name }, 'audit log write failed');
  }
}

/** The container list across instances: every live instance's list for this user, merged. */
async function mergeContainerLists(
  cluster: NonNullable<OpContext['services']['cluster']>,
  opName: string,
  ctx: OpContext,
  local: unknown,
): Promise<unknown> {
  const lists = [(local as { containers: Array<{ id: string; createdAt: string }> }).containers];
  for (const other of (await cluster.instances()).filter((i) => i.id !== cluster.self.id)) {
    const remote = await cluster.forward(other, opName, {}, ctx.principal, ctx.signal).catch(() => undefined);
    if (remote) lists.push((remote as { containers: Array<{ id: string; createdAt: string }> }).containers);
  }
  const seen = new Set<string>();
  const containers = lists.flat().filter((c) => !seen.has(c.id) && seen.add(c.id));
  // Containers on an instance that stopped are still yours: listed, as unavailable.
  containers.push(...((await cluster.unreachableContainers(ctx.principal.userId, seen)) as typeof containers));
  containers.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return { containers };
}
