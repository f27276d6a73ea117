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
  // The layers of issue 25 go here, after the product block so that they win for their folders:
  //   lib/domain/**: [PRODUCT_BOUNDARY, anything but lib/domain and lib/wire types]
  //   lib/app/**:    [PRODUCT_BOUNDARY, lib/adapters, @aws-sdk/*]
  {
    files: ['scripts/**', 'bench/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [TOOLING_BOUNDARY] }] },
  },
);
