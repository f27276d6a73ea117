/**
 * The package's version. Imported from package.json so that a bundle carries it inline
 * (dist/ has no package.json beside it) and tsx reads it from the checkout.
 */
import pkg from '../../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
