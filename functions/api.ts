import { handle } from 'hono/aws-lambda';
import { buildApi } from '../lib/api/app';
import { PAGE_ASSETS } from '../lib/console/generated/assets';
import { apiDeps } from '../lib/compose';
import { root } from './commons/deps';

/**
 * The operator API and console page, behind an API Gateway HTTP API (payload format 2.0). Built
 * once per container; every request is authenticated by the app itself (lib/api/auth.ts).
 */
export const handler = handle(buildApi(apiDeps(root()), PAGE_ASSETS));
