import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Boundaries between the folders (docs/TESTING.md, "Boundaries"). ESLint matches these against
 * the import specifier as written, so each is a relative path that climbs to the top folder:
 * `../../tools/local/cloud` from lib/api/. A folder of that name inside lib/ would match too;
 * there is none, and one would be a confusing name anyway.
 */
const climbsTo = (...folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;

/** The product (what ships or deploys) never needs the tools that run, measure or test it. */
const PRODUCT_BOUNDARY = {
  regex: climbsTo('tools', 'bench', 'test'),
  message: 'boundary: the product (lib/, functions/, web/) imports nothing from tools/, bench/ or test/.',
};

/**
 * lib/domain is pure: the model and the rules. From lib/domain/<concept>/, it may climb only to
 * lib/domain itself and lib/wire; of packages it takes only node:crypto, for its hashes, and
 * cron-parser, the calendar of a check's schedule (pure arithmetic on dates, no I/O).
 */
const DOMAIN_BOUNDARY = {
  regex: '^(\\.\\./)+(app|adapters|api|cli|agent|relay|producer|config|console|compose|ports)(/|$|\\.)',
  message: 'boundary: lib/domain is pure: it imports only lib/domain and lib/wire (docs/ARCHITECTURE.md, "Layers").',
};
const DOMAIN_PACKAGES = {
  regex: '^(?!\\.|node:crypto$|cron-parser$)',
  message: 'boundary: lib/domain is pure: no package but node:crypto and cron-parser (docs/ARCHITECTURE.md, "Layers").',
};

/** lib/app holds the use cases, on ports: it never names an adapter, the composition root or the SDK. */
const APP_BOUNDARY = {
  regex: '^(\\.\\./)+(adapters|compose|api|cli|console)(/|$|\\.)',
  message: 'boundary: lib/app takes ports (lib/ports.ts), never lib/adapters or lib/compose.ts (docs/ARCHITECTURE.md, "Layers").',
};
const APP_SDK = {
  regex: '^@aws-sdk/',
  message: 'boundary: lib/app never calls the AWS SDK; an adapter in lib/adapters does (docs/ARCHITECTURE.md, "Layers").',
};

/** An adapter implements a port; it never calls a use case, the composition root or a front end. */
const ADAPTERS_BOUNDARY = {
  regex: '^(\\.\\./)+(app|compose|api|cli)(/|$|\\.)',
  message: 'boundary: lib/adapters implement ports; they import lib/domain and lib/ports.ts, never lib/app (docs/ARCHITECTURE.md, "Layers").',
};

/** Benches and scripts may use tools/ (tools/harness holds what they share with the tests), never test/. */
const TOOLING_BOUNDARY = {
  regex: climbsTo('test'),
  message: 'boundary: scripts/ and bench/ import nothing from test/; what they share with the tests lives in tools/harness/.',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'lib/wire/generated/', 'lib/console/generated/', '.serverless/', '.esbuild/', '.dts/', 'dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  // Boundaries. For one file, the last block that sets no-restricted-imports wins whole (ESLint
  // does not merge the options of two blocks), so a block for a narrower folder lists every
  // pattern that applies there, the product's included.
  {
    files: ['lib/**', 'functions/**', 'web/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PRODUCT_BOUNDARY] }] },
  },
  // The layers (docs/ARCHITECTURE.md), after the product block so that they win for their folders.
  {
    files: ['lib/domain/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PRODUCT_BOUNDARY, DOMAIN_BOUNDARY, DOMAIN_PACKAGES] }] },
  },
  {
    files: ['lib/app/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PRODUCT_BOUNDARY, APP_BOUNDARY, APP_SDK] }] },
  },
  {
    files: ['lib/adapters/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PRODUCT_BOUNDARY, ADAPTERS_BOUNDARY] }] },
  },
  {
    files: ['scripts/**', 'bench/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [TOOLING_BOUNDARY] }] },
  },
);
