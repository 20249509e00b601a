/**
 * The wire codec of Chorus protocol version 1 (JSON text frames, docs/protocol.md).
 *
 * Message ids are 64-bit integers above 2^53 sent as JSON numbers: `JSON.parse` would round them. {@link parseFrame}
 * therefore turns every integer literal that a double cannot hold exactly into a string before parsing, and the
 * client hands ids to the application as decimal strings. {@link stringifyFrame} writes an {@link Int64} as a bare
 * JSON number again, digit for digit.
 */

/** A frame: a flat JSON object with an `op`. */
export type Frame = Record<string, unknown>;

/** A 64-bit integer written to the wire as a JSON number, kept as its decimal digits. */
export class Int64 {
  /** The decimal digits (optionally with a leading minus sign). */
  readonly digits: string;

  constructor(value: string | number | bigint) {
    const digits = String(value);
    if (!/^-?\d+$/.test(digits)) throw new TypeError(`not an integer: ${digits}`);
    this.digits = digits;
  }

  toString(): string {
    return this.digits;
  }
}

/**
 * Puts quotes around every integer literal of `text` (outside strings) that a double cannot hold exactly, so that
 * `JSON.parse` keeps its digits as a string. Everything else is left as it is.
 */
export function quoteLargeIntegers(text: string): string {
  let parts: string[] | null = null;
  let copied = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else if (d === 0x22) {
          i++;
          break;
        } else i++;
      }
      continue;
    }
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      i++;
      let integer = true;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d >= 0x30 && d <= 0x39) i++;
        else if (d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) {
          integer = false;
          i++;
        } else break;
      }
      // 2^53 has 16 digits: shorter integers are always exact.
      const digits = i - start - (c === 0x2d ? 1 : 0);
      if (integer && digits >= 16) {
        const token = text.slice(start, i);
        if (!Number.isSafeInteger(Number(token))) {
          (parts ??= []).push(text.slice(copied, start), '"', token, '"');
          copied = i;
        }
      }
      continue;
    }
    i++;
  }
  if (parts === null) return text;
  parts.push(text.slice(copied));
  return parts.join("");
}

/** Parses one frame without losing digits of large integers; null for anything that is not a JSON object. */
export function parseFrame(text: string): Frame | null {
  let value: unknown;
  try {
    value = JSON.parse(quoteLargeIntegers(text));
  } catch {
    return null;
  }
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Frame) : null;
}

/** An id field as a decimal string: the digits of a large integer (quoted by {@link parseFrame}) or of a small one. */
export function idString(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
  if (typeof value === "bigint") return value.toString();
  return "";
}

/** A number field (counts, sequence numbers, times), 0 when absent. */
export function num(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value !== "") {
    const n = Number(value);
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
}

/** A string field, "" when absent. */
export function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/**
 * Writes a frame as JSON: fields whose value is undefined are left out, an {@link Int64} is written as a bare number.
 * Strings are escaped as `JSON.stringify` escapes them (only what JSON requires).
 */
export function stringifyFrame(value: unknown): string {
  const out: string[] = [];
  write(value, out);
  return out.join("");
}

function write(value: unknown, out: string[]): void {
  if (value === null || value === undefined) {
    out.push("null");
  } else if (value instanceof Int64) {
    out.push(value.digits);
  } else if (typeof value === "string") {
    out.push(JSON.stringify(value));
  } else if (typeof value === "number") {
    out.push(Number.isFinite(value) ? String(value) : "null");
  } else if (typeof value === "bigint") {
    out.push(value.toString());
  } else if (typeof value === "boolean") {
    out.push(value ? "true" : "false");
  } else if (Array.isArray(value)) {
    out.push("[");
    value.forEach((item, index) => {
      if (index > 0) out.push(",");
      write(item, out);
    });
    out.push("]");
  } else if (typeof value === "object") {
    out.push("{");
    let first = true;
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (item === undefined) continue;
      if (!first) out.push(",");
      first = false;
      out.push(JSON.stringify(key), ":");
      write(item, out);
    }
    out.push("}");
  } else {
    out.push("null");
  }
}

/** The number of bytes of `text` in UTF-8 (an unpaired surrogate counts as the 3 bytes of U+FFFD, as TextEncoder writes it). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
