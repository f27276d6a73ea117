/**
 * The AWS SDK warns, once per Node 20 process, that its releases after January 2027 need
 * Node 22. dts pins (and bundles) SDK releases that run on Node 20, so on every dts command and
 * every program using the producer the warning is 8 lines of noise. The SDK's own switch,
 * AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true, turns it off; a value the user set
 * (for example `false`, to see it) is kept. It must be set before the first client is made.
 */
export function quietSdkNodeWarning(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
