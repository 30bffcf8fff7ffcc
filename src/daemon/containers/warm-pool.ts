import { randomBytes } from 'node:crypto';
import { lchown, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import type { Owner } from '../workspace/sandbox-launch.js';
import { TEMPLATE_NAMES, TEMPLATES, type TemplateName } from './templates.js';

/** Name written into pooled workspaces; replaced by the real name when one is claimed. */
const PLACEHOLDER = 'disco-pooled-workspace';

/**
 * Writes a template's files into `dir` for a workspace called `name`; with an owner (the sandbox uid of a
 * root daemon), `dir` and everything written belong to it. Security: only while nothing runs in `dir`
 * (a new or pooled workspace), and never following links (lchown).
 */
export async function writeTemplate(dir: string, template: TemplateName, name: string, owner?: Owner): Promise<void> {
  const files: Record<string, string> = TEMPLATES[template].files(name);
  const give = (p: string) => (owner ? lchown(p, owner.uid, owner.gid) : undefined);
  await give(dir);
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    const made = await mkdir(path.dirname(abs), { recursive: true });
    if (made) for (let d = path.dirname(abs); d.startsWith(made); d = path.dirname(d)) await give(d);
    await writeFile(abs, content);
    await give(abs);
  }
}

/**
 * Keeps `size` prepared workspaces per template in `<containersDir>/.pool`, on the same file system as
 * the containers, so creating a container is one rename plus the few name-dependent files. Refilled in
 * the background after every claim; rebuilt from scratch at start (a pool dir is cheap, trust is not).
 */
export class WarmPool {
  private readonly ready = new Map<TemplateName, string[]>();
  private refilling: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly dir: string,
    private readonly size: number,
    private readonly log: Logger,
    /** Owner of prepared workspaces (the sandbox uid of a root daemon). */
    private readonly owner?: Owner,
  ) {}

  async init(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    if (this.size === 0) return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.refill();
  }

  available(template: TemplateName): number {
    return this.ready.get(template)?.length ?? 0;
  }

  /** Moves a prepared workspace to `target` for `name`; false when the pool is empty (the caller builds one). */
  async claim(template: TemplateName, target: string, name: string): Promise<boolean> {
    const dir = this.ready.get(template)?.shift();
    if (!dir) return false;
    try {
      await rename(dir, target);
      const nameDependent: Record<string, string> = TEMPLATES[template].files(name);
      const placeholder: Record<string, string> = TEMPLATES[template].files(PLACEHOLDER);
      for (const [rel, content] of Object.entries(nameDependent)) {
        // Overwrites keep the file's owner; the pool wrote it for the sandbox uid already.
        if (placeholder[rel] !== content) await writeFile(path.join(target, rel), content);
      }
      return true;
    } catch (err) {
      this.log.warn({ err, template }, 'warm pool claim failed; building the workspace instead');
      await rm(dir, { recursive: true, force: true });
      return false;
    } finally {
      void this.refill();
    }
  }

  /** Tops every template up to `size`, one refill at a time. */
  refill(): Promise<void> {
    this.refilling ??= (async () => {
      try {
        for (const template of TEMPLATE_NAMES) {
          const list = this.ready.get(template) ?? [];
          this.ready.set(template, list);
          while (!this.stopped && list.length < this.size) {
            const dir = path.join(this.dir, `${template}-${randomBytes(6).toString('hex')}`);
            await mkdir(dir, { mode: 0o755 });
            await writeTemplate(dir, template, PLACEHOLDER, this.owner);
            list.push(dir);
          }
        }
      } catch (err) {
        this.log.warn({ err }, 'warm pool refill failed');
      } finally {
        this.refilling = undefined;
      }
    })();
    return this.refilling;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.refilling;
  }
}
