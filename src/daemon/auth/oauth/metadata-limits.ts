/**
 * Size limits on client metadata (RFC 7591 registrations and metadata documents). Security: every field
 * is stored and shown on the consent page; without limits one registration could hold thousands of
 * redirect URIs or a name that fills the page. Real clients (ChatGPT, Claude, the MCP Inspector) register
 * one to three redirect URIs and a short name.
 */
export const METADATA_LIMITS = {
  redirectUris: 10,
  uriLength: 2048,
  nameLength: 200,
  stringLength: 2048,
  arrayItems: 10,
} as const;

export interface MetadataViolation {
  error: 'invalid_client_metadata' | 'invalid_redirect_uri';
  description: string;
}

const { redirectUris, uriLength, nameLength, stringLength, arrayItems } = METADATA_LIMITS;

/** The first limit the metadata breaks, checked on the raw JSON before schema parsing; undefined if none. */
export function metadataViolation(body: unknown): MetadataViolation | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined; // the schema says why
  const meta = body as Record<string, unknown>;
  const uris = meta.redirect_uris;
  if (Array.isArray(uris)) {
    if (uris.length > redirectUris) {
      return {
        error: 'invalid_client_metadata',
        description: `redirect_uris has ${uris.length} entries; at most ${redirectUris} are allowed`,
      };
    }
    const long = uris.find((u) => typeof u === 'string' && u.length > uriLength);
    if (long !== undefined) {
      return { error: 'invalid_redirect_uri', description: `a redirect URI is longer than ${uriLength} characters` };
    }
  }
  for (const [key, value] of Object.entries(meta)) {
    if (key === 'redirect_uris') continue;
    const max = key === 'client_name' ? nameLength : stringLength;
    if (typeof value === 'string' && value.length > max) {
      return { error: 'invalid_client_metadata', description: `${key} is longer than ${max} characters` };
    }
    if (Array.isArray(value)) {
      if (value.length > arrayItems) {
        return { error: 'invalid_client_metadata', description: `${key} has more than ${arrayItems} entries` };
      }
      if (value.some((v) => typeof v === 'string' && v.length > stringLength)) {
        return { error: 'invalid_client_metadata', description: `an entry of ${key} is longer than ${stringLength}` };
      }
    }
  }
  return undefined;
}
