import { type Request, type Response, Router } from 'express';
import { DiscoError } from '../errors.js';
import { invokeOp } from '../ops/invoke.js';
import type { OpContext, Principal } from '../ops/op.js';
import { previewUrl } from '../ops/ports.js';
import { processOutput } from '../ops/processes.js';
import type { Services } from '../ops/services.js';

const POLL_MS = 100;
const HEARTBEAT_MS = 15_000;
/** How often a running stream checks that its token is still live. */
const LIVENESS_CHECK_MS = 1_000;

/**
 * `GET /api/v1/terminal/stream?processId=…&offset=…`: a process's output as Server-Sent Events
 * (`event: output`, id = the offset after it, so `Last-Event-ID` resumes exactly), then `event: exit`.
 * Built on the process_output op, so scopes, ownership and errors are the op's. While it runs, ports of
 * its container that open or close are announced as `event: port` ({port, open, url}), like
 * WebContainer's `server-ready`.
 */
export function processStreamRouter(services: Services): Router {
  const router = Router();
  router.get('/terminal/stream', async (req: Request, res: Response) => {
    const id = typeof req.query.processId === 'string' ? req.query.processId : '';
    const resume = req.get('last-event-id') ?? (typeof req.query.offset === 'string' ? req.query.offset : '0');
    let offset = Number(resume);
    if (!id || !Number.isInteger(offset) || offset < 0) {
      throw new DiscoError('validation_failed', 'processId is required and offset must be a non-negative integer');
    }
    const controller = new AbortController();
    const ctx: OpContext = {
      principal: res.locals.principal as Principal,
      services,
      signal: controller.signal,
      baseUrl: (res.locals.baseUrl as string | undefined) ?? '',
      progress: () => {},
    };
    // The first read happens before any header, so an unknown process is a plain JSON 404.
    let page = await invokeOp(processOutput, { id, offset }, ctx);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    let lastWrite = Date.now();
    let lastLiveCheck = Date.now();
    // Ports: those open now, then what ContainerNet.onPort reports for this process's container.
    const containerId = services.processManager.get(ctx.principal.userId, id)?.spec.containerId;
    const open = new Set<number>();
    const announce = (port: number, isOpen: boolean) => {
      if (isOpen === open.has(port)) return;
      if (isOpen) open.add(port);
      else open.delete(port);
      const url = containerId ? previewUrl(ctx, containerId, port) : '';
      res.write(`event: port\ndata: ${JSON.stringify({ port, open: isOpen, url })}\n\n`);
    };
    for (const p of page.ports ?? []) announce(p.port, true);
    const offPort = services.nets.onPort((e) => {
      if (e.containerId === containerId && !controller.signal.aborted) announce(e.port, e.open);
    });
    res.once('close', () => {
      offPort();
      controller.abort();
    });
    while (!controller.signal.aborted) {
      // The last event of each page carries the offset after it, so Last-Event-ID resumes exactly there.
      page.records.forEach((r, i) => {
        const id = i === page.records.length - 1 ? `id: ${page.nextOffset}\n` : '';
        res.write(`event: output\n${id}data: ${JSON.stringify(r)}\n\n`);
      });
      if (page.records.length > 0) lastWrite = Date.now();
      offset = page.nextOffset;
      if (!page.running) {
        res.write(
          `event: exit\ndata: ${JSON.stringify({ status: page.status, exitCode: page.exitCode, signal: page.signal })}\n\n`,
        );
        break;
      }
      for (const p of page.ports ?? []) announce(p.port, true);
      if (Date.now() - lastWrite > HEARTBEAT_MS) {
        res.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (controller.signal.aborted) break;
      // Security: the stream was authenticated once; a token revoked since reads no more (the process goes on).
      if (Date.now() - lastLiveCheck > LIVENESS_CHECK_MS) {
        lastLiveCheck = Date.now();
        if (!(await services.auth.stillLive(ctx.principal))) break;
      }
      page = await invokeOp(processOutput, { id, offset }, ctx);
    }
    offPort();
    res.end();
  });
  return router;
}
