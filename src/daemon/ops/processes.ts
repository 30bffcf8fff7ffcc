import type { z } from 'zod';
import type { ProcessSchema } from '../../contracts/processes.js';
import * as contract from '../../contracts/processes.js';
import type { ProcessRow } from '../db/processes-repo.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ManagedProcess } from '../workspace/process-manager.js';
import { lastChars } from './budget.js';
import { openContainer } from './container-scope.js';
import { implement, type OpContext } from './op.js';
import { portsOf } from './ports.js';

const toDto = (r: ProcessRow): z.input<typeof ProcessSchema> => ({
  id: r.id,
  command: r.command,
  shell: r.shell,
  cwd: r.cwd,
  status: r.status,
  exitCode: r.exitCode,
  signal: r.signal,
  startedAt: new Date(r.startedAt).toISOString(),
  endedAt: r.endedAt === null ? null : new Date(r.endedAt).toISOString(),
});

function findProcess(ctx: OpContext, id: string): ManagedProcess {
  const p = ctx.services.processManager.get(ctx.principal.userId, id);
  if (!p) throw new NotFoundError(`process '${id}'`, { processId: id });
  return p;
}

export const terminalHistory = implement(contract.terminalHistory, {
  run: async ({ container, limit }, ctx) => {
    const c = await openContainer(ctx, container);
    return { processes: ctx.services.processManager.history(c.id, limit).map(toDto) };
  },
});

export const processList = implement(contract.processList, {
  run: async ({ container }, ctx) => {
    const c = await openContainer(ctx, container);
    return {
      processes: ctx.services.processManager
        .history(c.id, 500)
        .filter((r) => r.status === 'running')
        .map(toDto),
    };
  },
});

export const processOutput = implement(contract.processOutput, {
  run: async ({ id, offset, maxBytes }, ctx) => {
    const p = findProcess(ctx, id);
    const page = p.log.read(offset, maxBytes, ctx.resultBudget === undefined ? undefined : ctx.resultBudget - 2048);
    const more = page.nextOffset < p.log.nextOffset;
    return {
      truncated: more,
      ...(more ? { next: { tool: 'process_output', arguments: { id, offset: page.nextOffset } } } : {}),
      processId: p.id,
      status: p.status,
      running: p.running,
      exitCode: p.exitCode,
      signal: p.signal,
      records: page.records,
      // The webcontainer runtime gives a process one stream: every record is marked stdout, said so.
      ...(ctx.services.workbench?.isWebcontainer(p.spec.containerId) ? { stderrMerged: true as const } : {}),
      nextOffset: page.nextOffset,
      dropped: page.dropped,
      ...(p.running ? { ports: await portsOf(ctx, p.spec.containerId) } : {}),
    };
  },
  summary: (r) => {
    const status = r.running ? 'running' : r.exitCode !== null ? `exited ${r.exitCode}` : r.status;
    const text = r.records.map((x) => x.text).join('');
    const tail = lastChars(text, 1500);
    return [
      `${r.processId}: ${status}; ${text.length} characters of output up to offset ${r.nextOffset}${r.dropped ? ' (older output rotated out)' : ''}${r.stderrMerged ? ' (stdout and stderr together: this runtime has one stream)' : ''}`,
      tail && `${tail.length < text.length ? 'tail' : 'output'}:\n${tail}`,
    ]
      .filter(Boolean)
      .join('\n');
  },
});

export const processInput = implement(contract.processInput, {
  run: async ({ id, text, base64, end }, ctx) => {
    if (base64 !== undefined && text !== '') throw new ValidationError('give text or base64, not both');
    const data = base64 !== undefined ? Buffer.from(base64, 'base64') : Buffer.from(text, 'utf8');
    const p = findProcess(ctx, id);
    await p.write(data, end);
    return { processId: p.id, bytes: data.length };
  },
});

export const processKill = implement(contract.processKill, {
  run: async ({ id, signal }, ctx) => {
    const p = findProcess(ctx, id);
    const wasRunning = p.running;
    p.kill(signal);
    if (wasRunning) await Promise.race([p.done, new Promise((r) => setTimeout(r, 2000))]);
    return { processId: p.id, running: p.running, signalled: wasRunning };
  },
});
