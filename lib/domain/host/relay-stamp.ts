/**
 * The receive time of a beat that a relay forwarded, which liveness is judged on.
 *
 * The relay stamps each beat when it receives it, and SQS stamps the batch when it accepts it
 * (SentTimestamp, on the monitor's side). The relay's stamp is the honest one (a beat held for
 * 10 s in the relay's buffer was received 10 s before SQS saw it), but it comes from a clock the
 * monitor does not own, so it is bounded:
 *
 * - never after SentTimestamp: a relay whose clock runs ahead cannot make a host look alive
 *   later than the monitor itself saw anything from it; its beats count at SentTimestamp;
 * - never more than `maxHoldMs` before it: a relay sheds what it held that long, so an older
 *   stamp means a clock running behind (or a relay that lies). That beat is refused, and
 *   quarantined, rather than judged on a time no one can vouch for. Refusing is the safe side:
 *   an old stamp would only make the host look dead sooner.
 *
 * A relay can still forge beats for hosts that are down; a relay token is trust in the relay.
 */
import { fail, ok, type Result } from '../../wire/result';

/**
 * The longest share of its host's interval a beat waits in a relay before it is forwarded. A beat
 * that arrives late makes its host look dead once `interval × tolerance` has passed since the
 * beat before; a third of an interval keeps the next beat well inside that even at a tolerance
 * of 2, while a slow fleet's beats gather into fewer SQS requests (docs/RELAY.md).
 */
export const RELAY_HOLD_SHARE_OF_INTERVAL = 1 / 3;

/** How long a relay holds a beat declaring `intervalSeconds` (0: the default) when it flushes at most every `flushMs`. */
export function relayHoldMs(intervalSeconds: number, flushMs: number, defaultIntervalSeconds = 60): number {
  const interval = intervalSeconds > 0 ? intervalSeconds : defaultIntervalSeconds;
  return Math.min(flushMs, interval * 1000 * RELAY_HOLD_SHARE_OF_INTERVAL);
}

/** How long a relay may hold a beat before it must shed it (lib/relay). */
export const RELAY_MAX_HOLD_MS = 15 * 60_000;
/** Leeway for the relay's clock being a little behind SQS's. */
export const RELAY_CLOCK_LEEWAY_MS = 60_000;

/** `claimedSeconds`: the relay's stamp (0: none); `sentAtMs`: SQS's. Returns the receive time in ms. */
export function relayedReceiveTime(claimedSeconds: number, sentAtMs: number, maxHoldMs = RELAY_MAX_HOLD_MS): Result<number> {
  if (claimedSeconds === 0 || claimedSeconds == null) return ok(sentAtMs);
  if (!Number.isFinite(claimedSeconds) || claimedSeconds < 0) return fail('receivedAt', `not a time: ${claimedSeconds}`);
  const claimed = claimedSeconds * 1000;
  if (claimed > sentAtMs) return ok(sentAtMs);
  const held = sentAtMs - claimed;
  if (held > maxHoldMs + RELAY_CLOCK_LEEWAY_MS) {
    return fail('receivedAt', `${Math.round(held / 1000)} s before SQS accepted the batch, but a relay holds a beat at most ${maxHoldMs / 1000} s: the relay's clock is behind`);
  }
  return ok(claimed);
}
