/**
 * esbuild plugins for the functions' bundles (serverless.yml, custom.esbuild.plugins).
 *
 * zodEnglishOnly: zod 4 exports every one of its ~50 message locales through the `z` namespace
 * (`z.locales`), and a namespace that escapes (as `z` does, through @hono/zod-openapi) keeps
 * them all: 264 KB of the api function's 596 KB. dts only ever speaks English (zod registers
 * `en` itself), so zod's locale index is replaced with one that holds `en` alone.
 * docs/BENCHMARKS.md, part 9.
 */
/* global module */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /[\\/]locales[\\/]index\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)) return undefined;
      return { path: args.path, namespace: 'zod-english-only', pluginData: { resolveDir: args.resolveDir } };
    });
    // `./en.js` beside the index it replaces: resolved from the importer's directory.
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path.replace(/index\.js$/, 'en.js'))};\n`,
      resolveDir: args.pluginData.resolveDir,
      loader: 'js',
    }));
  },
};

module.exports = [zodEnglishOnly];
