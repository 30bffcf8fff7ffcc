import { randomBytes } from 'node:crypto';
import type { Response } from 'express';
import type { Scope } from '../../ops/op.js';
import { escapeHtml, pageHtml } from './html.js';

const SCOPE_TEXT: Record<Scope, string> = {
  containers: 'create, list, stop and delete your containers',
  'files:read': 'read files in your containers',
  'files:write': 'create, change and delete files in your containers',
  exec: 'run commands and terminals in your containers',
  git: 'use git in your containers (clone, commit, push with your GitHub account)',
  account: 'manage your personal access tokens and password',
  admin: 'administer Disco: users, everyone’s tokens, the audit log',
};

const STYLE = `
  body{font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;background:#f6f7f9;color:#1c1e21;margin:0}
  main{max-width:420px;margin:8vh auto;background:#fff;border-radius:12px;padding:28px 32px;box-shadow:0 2px 12px #0001}
  h1{font-size:20px;margin:0 0 4px} .muted{color:#606770;font-size:13px} ul{padding-left:20px}
  label{display:block;margin:12px 0 4px;font-weight:600;font-size:13px}
  input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:9px 10px;border:1px solid #ccd0d5;border-radius:8px;font:inherit}
  .row{display:flex;gap:10px;margin-top:20px} button,.gh{flex:1;padding:10px;border-radius:8px;border:0;font:inherit;font-weight:600;cursor:pointer;text-align:center;text-decoration:none}
  .approve{background:#0b6bcb;color:#fff} .deny{background:#e4e6eb;color:#1c1e21} .gh{display:block;background:#24292f;color:#fff;margin-top:14px}
  .error{background:#fdecea;color:#a4000f;padding:8px 12px;border-radius:8px;margin:12px 0}
`;

/** Sends a small server-rendered page with a strict per-response CSP (a nonce for its one style block). */
export function sendPage(res: Response, status: number, title: string, body: string, formTargets: string[] = []): void {
  const nonce = randomBytes(16).toString('base64');
  res.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'none'",
      `style-src 'nonce-${nonce}'`,
      // Chrome applies form-action to the redirect that follows a form post, so the client's origin is listed.
      `form-action 'self' ${formTargets.join(' ')}`.trim(),
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
  );
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res
    .status(status)
    .type('html')
    .send(pageHtml(title, STYLE, nonce, `<main>${body}</main>`));
}

export interface ConsentView {
  requestId: string;
  clientName: string;
  clientId: string;
  redirectHost: string;
  scopes: Scope[];
  /** Signed in already (GitHub): a single-use consent id replaces the password fields. */
  signedInAs?: { name: string; consentId: string };
  githubUrl?: string;
  error?: string;
}

/** Sign in (password or GitHub) and consent, on one page. */
export function consentPage(v: ConsentView): string {
  const scopes = v.scopes.map((s) => `<li><b>${escapeHtml(s)}</b>: ${escapeHtml(SCOPE_TEXT[s])}</li>`).join('');
  const who = v.signedInAs
    ? `<p>Signed in as <b>${escapeHtml(v.signedInAs.name)}</b>.</p><input type="hidden" name="consent" value="${escapeHtml(v.signedInAs.consentId)}">`
    : `<label for="u">User name</label><input id="u" type="text" name="username" autocomplete="username" required autofocus>` +
      `<label for="p">Password</label><input id="p" type="password" name="password" autocomplete="current-password" required>`;
  const github =
    v.githubUrl && !v.signedInAs
      ? `<a class="gh" href="${escapeHtml(v.githubUrl)}">Sign in with GitHub instead</a>`
      : '';
  return (
    `<h1>Allow ${escapeHtml(v.clientName)} to use Disco?</h1>` +
    `<p class="muted">${escapeHtml(v.clientId)} · returns to ${escapeHtml(v.redirectHost)}</p>` +
    (v.error ? `<div class="error">${escapeHtml(v.error)}</div>` : '') +
    privilegeWarning(v) +
    `<p>It will be able to:</p><ul>${scopes}</ul>` +
    `<form method="post" action="/oauth/authorize"><input type="hidden" name="request" value="${escapeHtml(v.requestId)}">${who}` +
    `<div class="row"><button class="deny" name="action" value="deny" formnovalidate>Deny</button>` +
    `<button class="approve" name="action" value="approve">Allow</button></div></form>${github}`
  );
}

/**
 * Security: account and admin are only ever granted to a client whose registration asked for them, and then
 * the page says in plain words, above the list, what that hands over.
 */
function privilegeWarning(v: ConsentView): string {
  const name = escapeHtml(v.clientName);
  const lines: string[] = [];
  if (v.scopes.includes('admin')) {
    lines.push(
      `${name} asks to <b>administer Disco</b>: it could create users, revoke everyone’s tokens and read the audit log.`,
    );
  }
  if (v.scopes.includes('account')) {
    lines.push(`${name} asks to <b>manage your account</b>: it could create and revoke your access tokens.`);
  }
  if (lines.length === 0) return '';
  return `<div class="error"><p>${lines.join('</p><p>')}</p><p>Allow this only if you trust ${name} as much as yourself.</p></div>`;
}

export function errorPage(message: string): string {
  return `<h1>Sign-in cannot continue</h1><div class="error">${escapeHtml(message)}</div><p class="muted">Go back to the application and start again.</p>`;
}
