/** Escapes text for HTML element content and quoted attribute values. */
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The document of a small server-rendered page: its one style block carries the response's CSP nonce. */
export function pageHtml(title: string, style: string, nonce: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(title)} · Disco</title><style nonce="${nonce}">${style}</style></head><body>${body}</body></html>`
  );
}
