import { SETTINGS } from './config.js';

/** The configuration table of docs/reference/config.md, generated from SETTINGS (npm run gen:docs). */
export function configTable(): string {
  const rows: string[] = ['| variable | flag | meaning |', '|---|---|---|'];
  for (const s of Object.values(SETTINGS) as Array<{ env: string; flag?: string; doc: string }>) {
    rows.push(`| \`${s.env}\` | ${s.flag ? `\`${s.flag}\`` : ''} | ${s.doc} |`);
    if (s.env === 'DISCO_PORT') rows.push('| `PORT` | | Set by Railway and similar hosts: bind `0.0.0.0:$PORT`. |');
  }
  return rows.join('\n');
}
