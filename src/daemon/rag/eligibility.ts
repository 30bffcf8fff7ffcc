import path from 'node:path';

/**
 * Which files the index skips. Everything here is pure: the walk (which also honours .gitignore) asks
 * these before reading a byte.
 */

/** Vendored, generated, cache and VCS directories: never descended into. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  '.git',
  '.hg',
  '.svn',
  'node_modules',
  'bower_components',
  'jspm_packages',
  'vendor',
  'third_party',
  'dist',
  'build',
  'out',
  'target',
  'coverage',
  '.next',
  '.nuxt',
  '.svelte-kit',
  '.turbo',
  '.cache',
  '.parcel-cache',
  '__pycache__',
  '.venv',
  'venv',
  '.tox',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
  '.gradle',
  '.terraform',
  'Pods',
  'DerivedData',
]);

const LOCKFILES: ReadonlySet<string> = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'bun.lock',
  'Cargo.lock',
  'poetry.lock',
  'Pipfile.lock',
  'uv.lock',
  'composer.lock',
  'Gemfile.lock',
  'go.sum',
  'mix.lock',
  'pubspec.lock',
  'flake.lock',
  'packages.lock.json',
]);

const BINARY_EXTENSIONS: ReadonlySet<string> = new Set(
  (
    'png jpg jpeg gif bmp ico icns webp avif tif tiff psd svgz pdf zip gz tgz bz2 xz zst 7z rar tar jar war ' +
    'class dll exe so dylib a o obj lib bin wasm node pyc pyo mp3 mp4 m4a wav ogg flac mov avi mkv webm ' +
    'woff woff2 ttf otf eot db sqlite sqlite3 parquet onnx pt pth safetensors npy npz pkl'
  )
    .split(' ')
    .map((e) => `.${e}`),
);

/** Generated or minified by name. */
const GENERATED = /(\.min\.(js|css)|\.map|\.pb\.go|_pb2\.py|\.generated\.\w+|\.snap)$/i;

/**
 * Security: secrets must not become searchable text that an assistant can pull through `search`.
 * These are skipped even when .gitignore forgets them.
 */
const SECRETS =
  /^(\.env(\..*)?|.*\.(pem|key|p12|pfx|keystore|jks)|id_(rsa|dsa|ecdsa|ed25519)|\.npmrc|\.pypirc|\.netrc)$/i;

export type SkipReason = 'lockfile' | 'binary' | 'generated' | 'secret' | 'too_large' | 'minified';

/** Why a file is left out of the index by its name alone, or undefined when it may be indexed. */
export function skipByName(relPath: string): SkipReason | undefined {
  const base = path.posix.basename(relPath);
  if (LOCKFILES.has(base) || base.endsWith('.lock')) return 'lockfile';
  if (SECRETS.test(base)) return 'secret';
  if (BINARY_EXTENSIONS.has(path.posix.extname(base).toLowerCase())) return 'binary';
  if (GENERATED.test(base)) return 'generated';
  return undefined;
}

/**
 * Minified or machine-written text (a bundle, a data dump on one line): long lines on average. Searching
 * it returns walls of text, so it is skipped like a binary.
 */
export function looksMinified(text: string): boolean {
  if (text.length < 4096) return false;
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return text.length / lines > 400;
}
