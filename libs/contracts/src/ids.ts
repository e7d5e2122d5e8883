import { randomBytes } from 'node:crypto';

/**
 * A new UUID version 7 (RFC 9562): the first 48 bits are the Unix time in ms, the rest random
 * (74 bits). New order ids and line item ids are these rather than random version 4: rows and index
 * entries made together sit together, so Postgres appends to the right end of each index instead of
 * dirtying a random page of it for every order (after each checkpoint, the first change of a page
 * writes the whole 8 KiB page to the WAL). Still unguessable; the time in it is the order's
 * `createdAt`, which its owner sees anyway.
 */
export function timeOrderedUuid(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6] & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // variant 10
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
