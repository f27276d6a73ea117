import type { ChannelKind } from '../channel';
import { renderDiscord } from './discord';
import { renderOpsgenie } from './opsgenie';
import { renderPagerDuty } from './pagerduty';
import type { Renderer } from './request';
import { renderSlack } from './slack';
import { renderTeams } from './teams';
import { renderWebhook } from './webhook';

export type { OutgoingRequest, Renderer } from './request';

export const RENDERERS: Record<ChannelKind, Renderer> = {
  slack: renderSlack,
  discord: renderDiscord,
  teams: renderTeams,
  pagerduty: renderPagerDuty,
  opsgenie: renderOpsgenie,
  webhook: renderWebhook,
};
