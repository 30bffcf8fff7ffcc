// wrk (Debian's `wrk` package, C, one epoll thread) as the load generator: far lighter than a Node client,
// so on a 2-core machine more of the CPU goes to the daemon being measured. Its own CPU is read with the
// shell's `times` after it exits.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const lua = (str) => `"${String(str).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/** Stands in a request body for a number of its own on every request (a JSON-RPC id: no two in flight alike). */
export const SEQ = '__DISCO_SEQ__';

/**
 * A wrk script that cycles every connection through `requests` and prints a JSON summary when done. A body
 * with SEQ in it is formatted anew for each request, SEQ replaced by a counter (wrk sets Content-Length).
 */
function script(requests) {
  const rows = requests.map((r) => {
    const headers = Object.entries(r.headers ?? {})
      .map(([k, v]) => `[${lua(k)}] = ${lua(v)}`)
      .join(', ');
    const args = `${lua(r.method ?? 'GET')}, ${lua(r.path)}, { ${headers} }`;
    if (r.body?.includes(SEQ)) return `  { ${args}, ${lua(r.body)} }`;
    return `  wrk.format(${args}, ${r.body ? lua(r.body) : 'nil'})`;
  });
  return `local reqs, n, i, seq = {}, 0, 0, 0
init = function(args)
  reqs = {
${rows.join(',\n')}
  }
  n = #reqs
end
request = function()
  i = i % n + 1
  local r = reqs[i]
  if type(r) == "string" then return r end
  seq = seq + 1
  local body = string.gsub(r[4], "${SEQ}", tostring(seq))
  return wrk.format(r[1], r[2], r[3], body)
end
done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format('WRK{"requests":%d,"seconds":%.3f,"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    s.requests, s.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.connect, e.read, e.write, e.status, e.timeout))
end
`;
}

const seconds = (t) => {
  const m = /(\d+)m([\d.]+)s/.exec(t);
  return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
};

/**
 * Runs wrk against `base` with `requests` (cycled) for `duration` seconds on `connections` connections.
 * Returns an autocannon-shaped result (what bench/load.mjs summarises) plus `clientCpuSeconds`.
 */
export async function runWrk({ url, requests, connections, duration }) {
  const file = path.join(os.tmpdir(), `disco-wrk-${process.pid}-${Date.now()}.lua`);
  await writeFile(file, script(requests));
  // LOAD_WRK_CPUS (e.g. `1`): wrk pinned to those CPUs (taskset), so the scheduler never runs it on the CPU the
  // server is using while another is idle; unset, the scheduler places it (the default runs).
  const pin = process.env.LOAD_WRK_CPUS ? `taskset -c ${process.env.LOAD_WRK_CPUS} ` : '';
  const cmd = `${pin}wrk -t1 -c${connections} -d${duration}s --timeout 10s -s ${file} ${url}; times`;
  const out = await new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
    });
    child.once('error', reject);
    child.once('exit', () => resolve(text));
  });
  const json = /WRK(\{.*\})/.exec(out);
  if (!json) throw new Error(`wrk printed no summary:\n${out}`);
  const s = JSON.parse(json[1]);
  // `times` prints the shell's user/sys, then its children's (wrk's): the second line.
  const child = out.trim().split('\n').at(-1)?.split(/\s+/) ?? [];
  return {
    duration: s.seconds,
    requests: { total: s.requests, average: s.requests / s.seconds },
    latency: { p50: s.p50, p90: s.p90, p99: s.p99, max: s.max },
    errors: s.connect + s.read + s.write,
    timeouts: s.timeout,
    non2xx: s.status,
    resets: 0,
    clientCpuSeconds: seconds(child[0] ?? '') + seconds(child[1] ?? ''),
  };
}
