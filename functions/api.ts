import { handle } from 'hono/aws-lambda';
import { buildApi } from '../lib/api/app';
import { apiDeps } from '../lib/compose/api';
import { PAGE_ASSETS } from '../lib/console/generated/assets';
import { clients, config } from './commons/deps';

/**
 * The operator API and console page, behind an API Gateway HTTP API (payload format 2.0). Built
 * once per container; every request is authenticated by the app itself (lib/api/auth.ts).
 */
export const handler = handle(buildApi(apiDeps(clients(), config), PAGE_ASSETS));
