/**
 * What reaches a terminal from the CLI: stored strings (log text, labels, hostnames, messages)
 * are anyone's, and a raw ESC or BEL in them can retitle the terminal, clear the screen or plant
 * an OSC 8 link. Every byte the CLI writes passes through `terminalSafe`, so no command can forget.
 */
import type { Io } from './io';

/**
 * The CLI's own colors (lib/cli/format.ts `Style`): the only escape sequences let through.
 * Anything else that starts with ESC is shown, not obeyed.
 */
// eslint-disable-next-line no-control-regex
const OWN_SGR = /^\u001b\[(?:0|1|2|31|32|33)m/;

/**
 * C0 controls but newline and tab (layout), DEL, C1 controls, and the bidi controls that reorder
 * what a reader sees (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069).
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const hex = (c: string, digits: number): string => c.charCodeAt(0).toString(16).padStart(digits, '0');

/**
 * C0 as `\x1b`; DEL, C1 and bidi controls as `\u202e`. Those become JSON's own escapes where
 * they stand in a JSON string, so `--json` output parses to the same value; C0 never stands raw in
 * JSON, which escapes it itself.
 */
function shown(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x20 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`;
}

/** `text` with every unsafe control shown as an escape, the CLI's own colors kept. */
export function visibleControls(text: string): string {
  return text.replace(UNSAFE, (c, offset: number) => (c === '\u001b' && OWN_SGR.test(text.slice(offset, offset + 5)) ? c : shown(c)));
}

/** Strict: every control, newline and tab included, as an escape: for one field on one line. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return visibleControls(text).replace(/[\n\t\u001b]/g, (c) => shown(c));
}

export function terminalSafe(io: Io): Io {
  return { ...io, out: (t) => io.out(visibleControls(t)), err: (t) => io.err(visibleControls(t)) };
}
