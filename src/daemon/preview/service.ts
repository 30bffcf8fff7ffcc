import { createHash, randomBytes } from 'node:crypto';
import type { PreviewGrant, PreviewRepo } from '../db/preview-repo.js';
import { DiscoError, NotFoundError } from '../errors.js';

/** How long a preview_open link may wait to be opened (single use). */
export const LINK_TTL_MS = 60_000;
/** How long the preview cookie a link sets lasts. */
export const SESSION_TTL_MS = 12 * 3_600_000;
/** Query parameters that carry a link or share token (removed by a redirect once the cookie is set). */
export const LINK_PARAM = 'disco_link';
export const SHARE_PARAM = 'disco_share';

const CTR_PREFIX = 'ctr_';
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');

export interface PreviewUrls {
  /** `/preview/<container>/<port>/` on the daemon. */
  path: string;
  /** `<scheme>://<port>--<container>.<domain>/` when DISCO_PREVIEW_DOMAIN is set. */
  host?: string;
}

/** The host label of a container: its id without `ctr_`, since `_` is not valid in DNS host names. */
export const hostLabel = (containerId: string) =>
  containerId.startsWith(CTR_PREFIX) ? containerId.slice(CTR_PREFIX.length) : containerId;

/** The container id a host label names (the id without `ctr_`, or the full id). */
export const containerOfLabel = (label: string) => (label.startsWith(CTR_PREFIX) ? label : `${CTR_PREFIX}${label}`);

/** Preview links, cookies and shares: random tokens, stored only as digests. */
export class PreviewService {
  private lastPurge = 0;

  constructor(
    private readonly repo: PreviewRepo,
    private readonly options: { domain: string | undefined; scheme: 'http' | 'https' },
  ) {}

  get domain(): string | undefined {
    return this.options.domain;
  }

  urls(baseUrl: string, containerId: string, port: number): PreviewUrls {
    const path = `${baseUrl}/preview/${containerId}/${port}/`;
    const { domain, scheme } = this.options;
    return domain ? { path, host: `${scheme}://${port}--${hostLabel(containerId)}.${domain}/` } : { path };
  }

  /** The URL a link or share opens: the host form when there is one, else the path form. */
  entry(baseUrl: string, containerId: string, port: number, param: string, token: string): string {
    const u = this.urls(baseUrl, containerId, port);
    return `${u.host ?? u.path}?${param}=${token}`;
  }

  private create(kind: PreviewGrant['kind'], ownerId: string, containerId: string, port: number, ttlMs: number) {
    const token = newToken();
    const now = Date.now();
    // Expired links, cookies and shares go after a week (shares stay listed as expired until then).
    if (now - this.lastPurge > 60_000) {
      this.lastPurge = now;
      this.repo.purgeExpired(now - 7 * 86_400_000);
    }
    const prefix = kind === 'share' ? 'shr_' : kind === 'link' ? 'lnk_' : 'pss_';
    const grant = {
      id: `${prefix}${randomBytes(9).toString('base64url')}`,
      kind,
      containerId,
      port,
      ownerId,
      createdAt: now,
      expiresAt: now + ttlMs,
    };
    this.repo.insert(hashToken(token), grant);
    return { token, grant };
  }

  /** A single-use link for the owner, valid for a minute. */
  link(ownerId: string, containerId: string, port: number) {
    return this.create('link', ownerId, containerId, port, LINK_TTL_MS);
  }

  share(ownerId: string, containerId: string, port: number, ttlMs: number) {
    return this.create('share', ownerId, containerId, port, ttlMs);
  }

  shares(ownerId: string, containerId?: string): PreviewGrant[] {
    return this.repo.shares(ownerId, containerId);
  }

  /** Revokes a share; typed errors for an unknown one and one already revoked or expired. */
  revoke(ownerId: string, id: string): PreviewGrant {
    const share = this.repo.share(ownerId, id);
    if (!share) throw new NotFoundError(`share '${id}'`, { id });
    if (!this.repo.revoke(ownerId, id)) {
      throw new DiscoError('conflict', `share '${id}' is already revoked`, { id });
    }
    return { ...share, revokedAt: Date.now() };
  }

  /** Spends a link and returns the cookie token that replaces it; undefined when unknown, used or expired. */
  redeemLink(token: string): { cookie: string; grant: PreviewGrant } | undefined {
    const link = this.repo.takeLink(hashToken(token));
    if (!link) return undefined;
    const { token: cookie, grant } = this.create('session', link.ownerId, link.containerId, link.port, SESSION_TTL_MS);
    return { cookie, grant: { ...grant, usedAt: null, revokedAt: null } };
  }

  /** The live session or share a token stands for, when it opens exactly this container and port. */
  check(token: string | undefined, containerId: string, port: number): PreviewGrant | undefined {
    if (!token || token.length > 100) return undefined;
    const g = this.repo.live(hashToken(token));
    return g && g.containerId === containerId && g.port === port ? g : undefined;
  }

  dropContainer(containerId: string): void {
    this.repo.dropContainer(containerId);
  }
}
