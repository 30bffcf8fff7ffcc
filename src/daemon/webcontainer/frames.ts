import { z } from 'zod';
import type { Request } from '../sandbox/protocol.js';

/**
 * Frames between the daemon and an attached workbench page, over the Socket.IO namespace `/workbench`:
 * the daemon emits `d` (DaemonFrame), the page emits `p` (PageFrame). Process frames are the live
 * sandbox's supervisor protocol (protocol.ts) — spawn/input/eof/resize/signal/ports one way,
 * spawned/out/tty/exit/error/port/ports the other — carried to the page instead of a supervisor; file
 * frames keep the page's copy of the workspace and the daemon's (the truth) in step.
 */

/** Largest base64 file content in one frame (either way); bigger files are not synced to or from a page. */
export const MAX_SYNC_FILE_BYTES = 512 * 1024;
/** Largest Socket.IO message a page may send (a file frame plus its envelope). */
export const MAX_PAGE_MESSAGE_BYTES = 1024 * 1024;
const B64_MAX = Math.ceil(MAX_SYNC_FILE_BYTES / 3) * 4;

/** A workspace-relative path as the page names it: no root, no `..`, no NUL, bounded. */
const relPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.startsWith('/') && !p.includes('\0') && !p.split('/').some((c) => c === '..' || c === ''), {
    message: 'a relative path inside the workspace',
  });
const id = z.string().min(1).max(32);
const b64 = z.string().max(B64_MAX);
const previewUrl = z.url({ protocol: /^https?$/ }).max(2048);

export const PageFrame = z.discriminatedUnion('t', [
  /** Booted, and the workspace tree is mounted: commands may come. */
  z.object({ t: z.literal('ready') }),
  /** The runtime could not boot (no isolation, no licence, runtime unreachable): one clear message. */
  z.object({ t: z.literal('boot_failed'), message: z.string().max(500) }),
  z.object({
    t: z.literal('spawned'),
    id,
    pid: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31),
  }),
  z.object({ t: z.literal('error'), id, code: z.string().max(64), message: z.string().max(500) }),
  z.object({ t: z.literal('out'), id, s: z.union([z.literal(1), z.literal(2)]), d: z.string().max(256 * 1024) }),
  z.object({ t: z.literal('tty'), id, d: z.string().max(256 * 1024) }),
  z.object({ t: z.literal('exit'), id, code: z.number().int().nullable(), signal: z.string().max(32).nullable() }),
  /** A server opened or closed a port in the page's runtime; `url` is where its preview is served. */
  z.object({
    t: z.literal('port'),
    port: z.number().int().min(1).max(65535),
    open: z.boolean(),
    url: previewUrl.optional(),
  }),
  z.object({
    t: z.literal('ports'),
    req: z.number().int(),
    list: z.array(z.object({ port: z.number().int().min(1).max(65535), url: previewUrl.optional() })).max(1024),
  }),
  /** Files changed in the page (its fs.watch, debounced): `rev` is the daemon's revision the page last had. */
  z.object({
    t: z.literal('fs'),
    changes: z
      .array(
        z.discriminatedUnion('op', [
          z.object({ op: z.literal('put'), path: relPath, rev: z.number().int().min(0), data: b64 }),
          z.object({ op: z.literal('rm'), path: relPath, rev: z.number().int().min(0) }),
        ]),
      )
      .min(1)
      .max(256),
  }),
]);
export type PageFrame = z.infer<typeof PageFrame>;

/** One file of the tree a page mounts on attach, or of a push. `rev`: the daemon's revision of that path. */
export interface SyncedFile {
  path: string;
  data: string;
  rev: number;
}

export type DaemonFrame =
  | {
      t: 'hello';
      container: { id: string; name: string };
      /** Test only (DISCO_WEBCONTAINER_STANDIN under NODE_ENV=test): boot the in-page stand-in. */
      standin: boolean;
      /** Where the runtime's frame loads from (DISCO_WEBCONTAINER_RUNTIME_ORIGIN). */
      runtimeOrigin: string;
      /** The licence key for configureAPIKey, when one is set. */
      apiKey?: string;
      /** Path components never synced either way. */
      exclude: string[];
    }
  /** A batch of the tree to mount; the last one has `done`. */
  | { t: 'files'; files: SyncedFile[]; done: boolean }
  /** The daemon wrote a file (`conflict`: the page's own change to it lost, this is the daemon's copy). */
  | ({ t: 'put'; conflict?: boolean } & SyncedFile)
  | { t: 'rm'; path: string; rev: number }
  /** Told to the page that wrote a file the daemon had meanwhile changed (its change was not applied). */
  | { t: 'conflict'; path: string; message: string }
  /** A fresh attach token for the page's reconnects (the one in its URL expires). */
  | { t: 'renew'; token: string }
  | Exclude<Request, { t: 'dial' }>;
