/**
 * The notifier's transport: the part of fetch that sendWithRetry uses, over node:http and
 * node:https, with the channel URL policy checked inside the connection's own DNS lookup. A check
 * before fetch and fetch's own lookup are two answers from DNS, and a name that answers a public
 * address to the first and 169.254.169.254 or 127.0.0.1 to the second (DNS rebinding) would pass
 * one and connect to the other. Here the addresses checked are the addresses the socket is handed,
 * so it connects to nothing else.
 *
 * Why not fetch with a dispatcher: fetch takes its lookup from undici's Agent, which Node 20
 * bundles but does not export (`undici` would be a dependency of its own, a second copy of a
 * library Node already carries, and one whose major version differs from the bundled fetch's).
 * node:http's `lookup` option is Node's documented hook for the same thing.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { addressProblem, systemResolve, type Resolve, type UrlPolicy } from './url-policy';

/** The connection was refused by the URL policy, after the lookup it was to connect with. */
export class RefusedAddressError extends Error {
  override readonly name = 'RefusedAddressError';
}

/**
 * A `lookup` for net.connect that resolves with `resolve` and hands the socket only addresses
 * the policy allows; if any address of the answer is refused, the connection is (a name that
 * answers a public and a private address could be connected to either).
 */
export function checkedLookup(policy: UrlPolicy, resolve: Resolve = systemResolve): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then((found) => {
      const refused = found.map((a) => [a, addressProblem(a, policy)] as const).find(([, why]) => why !== undefined);
      if (refused) return callback(new RefusedAddressError(`${hostname} resolves to ${refused[0]}, ${refused[1]}`), '', 0);
      const family = options.family === 4 || options.family === 6 ? options.family : 0;
      const addresses = found.map((address) => ({ address, family: isIP(address) })).filter((a) => a.family !== 0 && (family === 0 || a.family === family));
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      // With `all` (what autoSelectFamily asks for), the callback takes the list; the types
      // describe only the single-address form.
      if (options.all) return (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
      return callback(null, first.address, first.family);
    }, (e: unknown) => callback(e as NodeJS.ErrnoException, '', 0));
  };
}

/** What sendWithRetry passes to its fetch. */
export interface CheckedInit {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

const NULL_BODY = new Set([101, 204, 205, 304]);

function responseOf(res: IncomingMessage): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    try {
      headers.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
    } catch {
      // a header fetch would not have taken either: the status and the body still tell
    }
  }
  const status = res.statusCode ?? 0;
  if (NULL_BODY.has(status)) res.resume();
  return new Response(NULL_BODY.has(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage ?? '', headers });
}

/**
 * fetch(url, init) as sendWithRetry uses it: a redirect is answered, never followed; errors take
 * fetch's shapes (a TypeError with the network error as its `cause`, an AbortError on timeout),
 * except a refused address, which is a RefusedAddressError. One connection per request: a socket
 * kept alive across a Lambda freeze is one the receiver may have closed.
 */
export function checkedFetch(policy: UrlPolicy, resolve?: Resolve): (url: string, init: CheckedInit) => Promise<Response> {
  const lookup = checkedLookup(policy, resolve);
  return (url, init) => new Promise<Response>((resolvePromise, reject) => {
    const body = init.body ?? '';
    try {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
      if (!send) throw new TypeError(`${target.protocol} is not http or https`);
      const req = send(target, {
        method: init.method ?? 'GET',
        headers: { ...init.headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup,
        agent: false,
        ...(init.signal ? { signal: init.signal } : {}),
      }, (res) => resolvePromise(responseOf(res)));
      req.on('error', (e: Error) => reject(e instanceof RefusedAddressError || e.name === 'AbortError' ? e : Object.assign(new TypeError('fetch failed'), { cause: e })));
      req.end(body);
    } catch (e) {
      // A header node:http cannot send, or not a URL: fetch throws a TypeError without a cause.
      reject(new TypeError(e instanceof Error ? e.message : String(e)));
    }
  });
}
