import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bundle = path.join(root, 'dist', 'bundle');

/**
 * scripts/build-bundle.mjs leaves a few dependencies of bundled packages in node_modules (LEAN): the bundle
 * then requires them from its own folder, so that must find the very copy the package that uses it would.
 */
describe('dependencies the bundle leaves in node_modules', () => {
  const users: Record<string, string[]> = {
    'iconv-lite': ['body-parser', 'raw-body'],
    'mime-db': ['mime-types'],
  };
  const fromBundle = createRequire(path.join(bundle, 'cli.js'));
  const files = readdirSync(bundle).filter((f) => f.endsWith('.js'));
  const text = files.map((f) => readFileSync(path.join(bundle, f), 'utf8')).join('\n');

  for (const [dep, pkgs] of Object.entries(users)) {
    it(`${dep}: required by name, resolved to the copy ${pkgs.join(' and ')} would load, and a dependency of ours`, () => {
      expect(text).toContain(`__require("${dep}")`);
      expect(text).not.toContain(`// node_modules/${dep}/`);
      for (const pkg of pkgs) {
        const fromPkg = createRequire(fromBundle.resolve(`${pkg}/package.json`));
        expect(fromBundle.resolve(dep)).toBe(fromPkg.resolve(dep));
      }
      const ours = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).dependencies;
      expect(ours[dep]).toBeDefined();
    });
  }
});

describe('zod in the bundle', () => {
  it('carries English only (scripts/build-bundle.mjs: zodEnglishOnly), the locale its messages use', () => {
    const text = readdirSync(bundle)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(path.join(bundle, f), 'utf8'))
      .join('\n');
    expect(text).toContain('// node_modules/zod/v4/locales/en.js');
    expect(text).not.toContain('// node_modules/zod/v4/locales/fr.js');
    expect(text).not.toContain('// node_modules/zod/v4/locales/de.js');
  });
});
