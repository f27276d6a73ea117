'use strict';
/* global module */
/**
 * The import graph of the product, checked by `npm run lint` (docs/ARCHITECTURE.md, "Layers").
 * ESLint (eslint.config.js) checks each import against its layer; this checks what one file's
 * imports cannot show: cycles, a type-only import included, since a cycle of types is still two
 * modules that cannot be understood apart.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'A cycle makes two modules one: break it by moving what both need into a third.',
      from: { path: '^(lib|functions)/' },
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'lib/domain imports only lib/domain, lib/wire, node:crypto for its hashes, and cron-parser for a check\'s calendar.',
      from: { path: '^lib/domain/' },
      to: { pathNot: ['^lib/domain/', '^lib/wire/', '^crypto$', '^node:crypto$', '(^|/)node_modules/cron-parser/'] },
    },
    {
      name: 'app-on-ports',
      severity: 'error',
      comment: 'lib/app takes ports: it never names an adapter, the composition root, or the AWS SDK.',
      from: { path: '^lib/app/' },
      to: { path: ['^lib/adapters/', '^lib/compose\\.ts$', '@aws-sdk', '^tools/', '^bench/', '^test/'] },
    },
    {
      name: 'adapters-below-app',
      severity: 'error',
      comment: 'An adapter implements a port; it never calls a use case or the composition root.',
      from: { path: '^lib/adapters/' },
      to: { path: ['^lib/app/', '^lib/compose\\.ts$', '^lib/cli/', '^lib/api/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['generated/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
