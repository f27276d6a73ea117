/** The global options and the output streams: what the context and the backend locator both take. */

export interface GlobalOptions {
  stack?: string;
  stage?: string;
  region?: string;
  profile?: string;
  endpoint?: string;
  logsQueueUrl?: string;
  heartbeatsQueueUrl?: string;
  hostsTable?: string;
  logsTable?: string;
  notificationsTable?: string;
  statsTable?: string;
  silencesTable?: string;
  reportsTable?: string;
  alertsTopicArn?: string;
  apiKeysTable?: string;
  channelsTable?: string;
  checksTable?: string;
}

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Record<string, string | undefined>;
  readonly isTTY: boolean;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  isTTY: process.stdout.isTTY === true,
};
