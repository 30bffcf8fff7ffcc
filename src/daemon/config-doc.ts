import { SETTINGS } from './config.js';

/** README's configuration table, generated from SETTINGS (scripts/readme-config.mjs writes it). */
export function configTable(): string {
  const rows: string[] = ['| variable | flag | meaning |', '|---|---|---|'];
  for (const s of Object.values(SETTINGS) as Array<{ env: string; flag?: string; doc: string }>) {
    rows.push(`| \`${s.env}\` | ${s.flag ? `\`${s.flag}\`` : ''} | ${s.doc} |`);
    if (s.env === 'DISCO_PORT') rows.push('| `PORT` | | Set by Railway and similar hosts: bind `0.0.0.0:$PORT`. |');
  }
  return rows.join('\n');
}
