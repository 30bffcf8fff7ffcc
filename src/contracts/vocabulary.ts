/**
 * Closed lists the contracts' schemas name, stated once here so contracts need no daemon code; the daemon
 * modules that act on them import them from here (templates, network modes, browser sessions) or are
 * checked against them (`LANGUAGES`: test/unit/contracts.test.ts).
 */

/** The starting files of a new container (`src/daemon/containers/templates.ts` holds their content). */
export const TEMPLATE_NAMES = ['blank', 'node', 'python'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** How a container's commands reach the network. */
export const NETWORK_MODES = ['off', 'egress', 'host'] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

/**
 * Where a container's commands run: `sandbox` (on this host, in its live bubblewrap sandbox when there is
 * one) or `webcontainer` (in a browser page attached to the daemon over Socket.IO; nothing runs here).
 */
export const RUNTIMES = ['sandbox', 'webcontainer'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** The languages the index chunks by (`src/daemon/rag/languages.ts` maps files to them). */
export const LANGUAGES: readonly string[] = [
  'c',
  'clojure',
  'cpp',
  'csharp',
  'css',
  'dart',
  'dockerfile',
  'elixir',
  'erlang',
  'go',
  'graphql',
  'haskell',
  'html',
  'ini',
  'java',
  'javascript',
  'json',
  'kotlin',
  'less',
  'lua',
  'make',
  'markdown',
  'ocaml',
  'php',
  'protobuf',
  'python',
  'r',
  'ruby',
  'rust',
  'scala',
  'scss',
  'shell',
  'sql',
  'svelte',
  'swift',
  'terraform',
  'text',
  'toml',
  'typescript',
  'vue',
  'xml',
  'yaml',
];

/** A browser session's name. */
export const SESSION_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** Tokens of page text a snapshot returns by default, and at most. */
export const DEFAULT_BUDGET = 1500;
export const MAX_BUDGET = 50_000;
