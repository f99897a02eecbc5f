/**
 * What an MQTT string can hold. Topics, the content type, the response topic and user properties are UTF-8
 * strings of at most 65,535 bytes, without NUL; the specification lets a broker treat other control characters,
 * non-characters and unpaired surrogates as malformed, and Mosquitto does: it drops the connection. MQTT.js
 * then sends the same packet again on every reconnection, so one such message would hold up every later
 * publish of the connection. Such strings are therefore refused before they reach MQTT.js.
 *
 * @module
 */

import { NotSupportedError, type OutgoingMessage } from "@sluice/core";
import { ERROR_HEADER } from "@sluice/core/kit";

/** The most bytes an MQTT string holds (its length travels in two bytes). */
export const MAX_STRING_BYTES = 65_535;

const encoder = new TextEncoder();

/** Characters of the Basic Multilingual Plane a broker accepts: the common case, checked in one go. */
const PLAIN = /^[\u0020-\u007e\u00a0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd]*$/;

const NAMES: Record<number, string> = {
  0x00: "a NUL",
  0x09: "a tab",
  0x0a: "a line feed",
  0x0d: "a carriage return",
};

/** Whether a broker may refuse `codePoint` in an MQTT string (MQTT 5 §1.5.4, as Mosquitto checks it). */
function refused(codePoint: number): boolean {
  return codePoint <= 0x1f ||
    (codePoint >= 0x7f && codePoint <= 0x9f) ||
    (codePoint >= 0xd800 && codePoint <= 0xdfff) ||
    (codePoint >= 0xfdd0 && codePoint <= 0xfdef) ||
    (codePoint & 0xfffe) === 0xfffe;
}

function kind(codePoint: number): string {
  if (codePoint in NAMES) return NAMES[codePoint]!;
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return "an unpaired surrogate";
  if (codePoint <= 0x9f) return "a control character";
  return "a non-character";
}

function hex(codePoint: number): string {
  return codePoint.toString(16).toUpperCase().padStart(4, "0");
}

/** 65535 as "65,535". */
function grouped(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+$)/g, ",");
}

function utf8Length(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/** Why `value` cannot travel as an MQTT string, or undefined if it can. */
export function stringProblem(value: string): string | undefined {
  if (value.length <= MAX_STRING_BYTES / 3 && PLAIN.test(value)) return undefined;
  let bytes = 0;
  let position = 0;
  for (const character of value) {
    const codePoint = character.codePointAt(0)!;
    if (refused(codePoint)) return `${kind(codePoint)} (U+${hex(codePoint)}) at position ${position}`;
    bytes += utf8Length(codePoint);
    position += character.length;
  }
  if (bytes > MAX_STRING_BYTES) {
    return `${grouped(bytes)} bytes in UTF-8, more than the ${
      grouped(MAX_STRING_BYTES)
    } an MQTT string holds`;
  }
  return undefined;
}

/** `value` for an error message: what a broker refuses escaped as `\uXXXX`, and at most 60 characters. */
export function shown(value: string): string {
  let text = "";
  for (const character of value) {
    const codePoint = character.codePointAt(0)!;
    text += refused(codePoint) ? `\\u${hex(codePoint).toLowerCase()}` : character;
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * `text` made fit for an MQTT string: every run of characters a broker refuses becomes one space (none at
 * either end), and what goes past {@linkcode MAX_STRING_BYTES} is cut off, ending in "…".
 */
export function fitted(text: string): string {
  let clean = "";
  let gap = false;
  for (const character of text) {
    if (refused(character.codePointAt(0)!)) {
      gap = true;
      continue;
    }
    clean += gap && clean ? ` ${character}` : character;
    gap = false;
  }
  if (encoder.encode(clean).length <= MAX_STRING_BYTES) return clean;
  let cut = "";
  let bytes = 0;
  for (const character of clean) {
    bytes += utf8Length(character.codePointAt(0)!);
    if (bytes > MAX_STRING_BYTES - 3) break;
    cut += character;
  }
  return `${cut}…`;
}

/**
 * The message as MQTT 5 carries it, or a {@linkcode NotSupportedError} naming the message, the field and what
 * is wrong with it. The error description Sluice writes to a dead letter or a failed reply (`x-sluice-error`)
 * is made to fit instead, so a handler's multi-line error does not stop its message from being dead-lettered.
 */
export function carriableOn5(channel: string, message: OutgoingMessage): OutgoingMessage {
  const fail = (field: string, problem: string): never => {
    const id = message.messageId ? `message ${shown(message.messageId)}` : "a message";
    throw new NotSupportedError(
      `Cannot publish ${id} to ${channel}: ${field} has ${problem}. MQTT strings are UTF-8 of at most ` +
        `${grouped(MAX_STRING_BYTES)} bytes without control characters, non-characters or ` +
        `unpaired surrogates, and the broker would drop the connection; encode the value (e.g. with ` +
        `encodeURIComponent) or leave it out`,
    );
  };
  const check = (field: string, value: string | undefined): void => {
    const problem = value === undefined ? undefined : stringProblem(value);
    if (problem) fail(field, problem);
  };
  check("the content type", message.contentType);
  check("the reply topic", message.replyTo);
  check("the message id", message.messageId);
  let headers = message.headers;
  for (const name in message.headers) {
    const value = message.headers[name]!;
    const nameProblem = stringProblem(name);
    if (nameProblem) fail(`the name of header "${shown(name)}"`, nameProblem);
    if (name === ERROR_HEADER) {
      const fit = fitted(value);
      if (fit !== value) headers = { ...headers, [name]: fit };
      continue;
    }
    check(`header "${shown(name)}"`, value);
  }
  return headers === message.headers ? message : { ...message, headers };
}
