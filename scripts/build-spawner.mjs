// Compiles the native spawner of container sandboxes (src/daemon/sandbox/spawner.c, builtins only) to
// dist/native/disco-spawner with the C compiler Node's own toolchain brings (cc). Without a compiler, or
// when the build fails, it says so and succeeds: the supervisor then starts processes from Node instead.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/daemon/sandbox/spawner.c', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/native/', import.meta.url));
const out = `${outDir}disco-spawner`;
mkdirSync(outDir, { recursive: true });
rmSync(out, { force: true });
if (process.platform !== 'linux') {
  process.stderr.write('build-spawner: not Linux; container sandboxes start processes from Node\n');
  process.exit(0);
}
const cc = process.env.CC || 'cc';
try {
  execFileSync(cc, ['-O2', '-Wall', '-o', out, source], { stdio: ['ignore', 'inherit', 'inherit'] });
} catch (err) {
  process.stderr.write(
    `build-spawner: cannot compile ${source} with ${cc} (${err.message.split('\n')[0]}); ` +
      'container sandboxes will start processes from Node\n',
  );
}
