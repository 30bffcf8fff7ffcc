import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reachLines } from '../../src/cli/commands/serve.js';
import { prettyLine } from '../../src/cli/log-pretty.js';

describe('disco serve output', () => {
  it('renders a JSON log record as one human line', () => {
    const line = prettyLine(
      JSON.stringify({
        level: 'info',
        time: '2026-12-01T04:35:07.123Z',
        service: 'disco',
        msg: 'disco listening',
        url: 'http://127.0.0.1:7419',
        req: { method: 'GET' },
        note: 'two words',
      }),
    );
    expect(line).toBe(
      '04:35:07 INFO  disco listening url=http://127.0.0.1:7419 req={"method":"GET"} note="two words"\n',
    );
    expect(prettyLine('not json')).toBe('not json\n');
  });

  it('says what to export only when the daemon is not where the CLI looks by default', () => {
    const home = path.join(os.homedir(), '.disco');
    expect(reachLines('http://127.0.0.1:7419', home, {})).toHaveLength(1);
    const other = reachLines('http://127.0.0.1:8000', '/srv/disco', {});
    expect(other[0]).toMatch(/^Disco listening on http:\/\/127\.0\.0\.1:8000 /);
    expect(other[1]).toBe('To use it from another shell: export DISCO_URL=http://127.0.0.1:8000 DISCO_HOME=/srv/disco');
    expect(reachLines('http://127.0.0.1:8000', home, {})[1]).toBe(
      'To use it from another shell: export DISCO_URL=http://127.0.0.1:8000',
    );
  });
});
