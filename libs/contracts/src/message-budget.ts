/**
 * Messages are bounded in bytes, not items: a list page, a reservation request or a customer
 * look-up is cut to fit the publisher's `maxMessageBytes`, so no client input can make a message
 * the broker refuses. Sizes are of the JSON text in UTF-8, as the message travels (a control
 * character takes 6 bytes escaped, a CJK character 3).
 */

/** Room kept for the envelope around a payload (ids, type, timestamps, correlation id) and the headers. */
const ENVELOPE_ALLOWANCE_BYTES = 4 * 1024;

/** The bytes a payload may take in a message of at most `maxMessageBytes`. */
export function payloadBudget(maxMessageBytes: number): number {
  return maxMessageBytes - ENVELOPE_ALLOWANCE_BYTES;
}

/** Size of `value` as JSON text in UTF-8. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

/**
 * Splits `items` into consecutive chunks of at most `maxItems` whose JSON array takes at most
 * `maxBytes`; order is kept, and an item too large on its own goes alone (its message is then
 * refused on its own, never taking others down with it).
 */
export function chunkByBytes<T>(items: T[], maxBytes: number, maxItems = Number.POSITIVE_INFINITY): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 2; // []
  for (const item of items) {
    const size = jsonBytes(item) + 1; // and its comma
    if (chunk.length > 0 && (chunk.length >= maxItems || bytes + size > maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 2;
    }
    chunk.push(item);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** How many of the first `items` fit in a JSON array of at most `maxBytes` (at least one, when there is one). */
export function countThatFit(items: unknown[], maxBytes: number): number {
  let bytes = 2;
  for (let i = 0; i < items.length; i++) {
    bytes += jsonBytes(items[i]) + 1;
    if (bytes > maxBytes) return Math.max(i, 1);
  }
  return items.length;
}
