/**
 * Where a channel may send: the notifier runs inside the deployment's network, so a channel URL
 * is a way to make it POST to anything it can reach. A URL names a public host, or it is refused:
 * when a channel is added (its text), and again at each send (what its name resolves to then,
 * against a name that answered with a public address at add time and a private one since).
 *
 * Address classes are ipaddr.js's (MIT, the address parser of Express's proxy-addr): it reads
 * IPv4-mapped and IPv4-compatible IPv6 as the IPv4 inside them, and the URL parser has already
 * turned decimal, octal and hex IPv4 (`http://2852039166/`, `0251.0376.0251.0376`) into dotted form.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

export interface UrlPolicy {
  /**
   * Loopback receivers: the local cloud and tests. Never in a deployed stage by default: inside
   * Lambda, 127.0.0.1:9001 is the runtime API.
   */
  readonly allowLoopback: boolean;
}

/** Names that are not addresses but stand for one that is never public. */
const LOCAL_NAMES = /^(localhost|.+\.localhost|localhost\.localdomain|metadata|metadata\.google\.internal|instance-data(\.ec2\.internal)?)\.?$/i;

const WHY: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address (RFC 1918)',
  linkLocal: 'a link-local address (169.254.169.254 is the cloud metadata service)',
  uniqueLocal: 'a unique local IPv6 address (fd00:ec2::254 is the cloud metadata service)',
  carrierGradeNat: 'a shared (carrier-grade NAT) address',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
};

/** Why a channel may not send to this IP address, or undefined when it may. */
export function addressProblem(address: string, policy: UrlPolicy): string | undefined {
  if (!ipaddr.isValid(address)) return `${JSON.stringify(address)} is not an IP address`;
  // process(): ::ffff:169.254.169.254 is judged as 169.254.169.254.
  const range = ipaddr.process(address).range();
  if (range === 'unicast') return undefined;
  if (range === 'loopback' && policy.allowLoopback) return undefined;
  const why = WHY[range] ?? `a reserved address (${range})`;
  return range === 'loopback'
    ? `${why}: allowed on the local cloud, or with --allow-loopback`
    : `${why}: a channel sends only to public addresses`;
}

const bare = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Why a channel's URL is refused, or undefined: not a URL, not https (http only on loopback),
 * userinfo (a secret in the wrong place, and a way to disguise the host), or a host that is a
 * private, link-local, loopback or metadata address. The URL's path and query are never shown.
 */
export function channelUrlProblem(text: string, policy: UrlPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a URL';
  }
  const host = bare(url.hostname);
  const at = `(${host})`;
  if (url.username || url.password) return `a channel URL carries no user or password before the host ${at}: put a key in --key`;
  const loopbackName = /^(localhost|.+\.localhost)\.?$/i.test(host);
  const problem = ipaddr.isValid(host) ? addressProblem(host, policy)
    : loopbackName ? (policy.allowLoopback ? undefined : 'a loopback name: allowed on the local cloud, or with --allow-loopback')
      : LOCAL_NAMES.test(host) ? 'a name for the cloud metadata service' : undefined;
  if (problem) return `${problem} ${at}`;
  const loopback = loopbackName || (ipaddr.isValid(host) && ipaddr.process(host).range() === 'loopback');
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && loopback) return undefined;
  return `a channel URL must be https:// (or http:// on a loopback address, for the local cloud) ${at}`;
}

/** Every address a name resolves to (the notifier's DNS; a test passes its own). */
export type Resolve = (hostname: string) => Promise<string[]>;

export const systemResolve: Resolve = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/**
 * The check at send time: the URL again, then every address its name resolves to now. Any
 * refused address refuses the send: a name that answers with a public and a private address
 * could be connected to either.
 */
export async function resolvedUrlProblem(text: string, policy: UrlPolicy, resolve: Resolve = systemResolve): Promise<string | undefined> {
  const problem = channelUrlProblem(text, policy);
  if (problem) return problem;
  const host = bare(new URL(text).hostname);
  if (ipaddr.isValid(host)) return undefined;
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    // A name that does not resolve cannot be connected to either; fetch says so, retryably.
    return undefined;
  }
  for (const address of addresses) {
    const refused = addressProblem(address, policy);
    if (refused) return `${host} resolves to ${address}, ${refused}`;
  }
  return undefined;
}
