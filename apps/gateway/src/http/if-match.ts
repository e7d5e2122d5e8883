import type { Order } from '@orderline/contracts';
import { ReplyFailedError } from '@orderline/messaging';
import { HttpProblem } from './problem-response';

/**
 * Order versions as HTTP entity tags (RFC 9110 §8.8.3, §13.1.1): an order's ETag is its version,
 * `"3"`. PATCH/PUT/DELETE honour `If-Match`; every change names the version it was made against,
 * so order-management applies it only to that version.
 */

/** How often a change without If-Match reads the order again after losing a race, before answering 409. */
export const MAX_VERSION_ATTEMPTS = 3;

/** `*` (any current version), or the versions the listed entity tags name (maybe none). */
export type IfMatch = { kind: 'any' } | { kind: 'tags'; versions: number[] };

export const etagOf = (version: number): string => `"${version}"`;

const INVALID = 'must be "*" or a comma-separated list of entity tags, e.g. "3"';
// one list element: optional W/, then a quoted opaque tag (etagc: %x21 / %x23-7E / obs-text)
const ENTITY_TAG = /(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"/y;
const VERSION = /^[1-9][0-9]{0,9}$/;

/**
 * The If-Match header, or undefined when absent. A malformed one is a 400 naming the header.
 * If-Match compares strongly (RFC 9110 §13.1.1), so a weak tag (`W/"3"`) is accepted but matches
 * nothing; so does a tag that is not a version.
 */
export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  const invalid = () => new HttpProblem('validation', `If-Match ${INVALID}`, [{ path: 'headers.if-match', message: INVALID }]);
  const value = header.trim();
  if (value === '*') return { kind: 'any' };

  const versions: number[] = [];
  let tags = 0;
  let at = 0;
  // #entity-tag: elements separated by commas with optional whitespace; empty elements are allowed
  while (at < value.length) {
    const char = value[at] as string;
    if (char === ',' || char === ' ' || char === '\t') {
      at += 1;
      continue;
    }
    ENTITY_TAG.lastIndex = at;
    const match = ENTITY_TAG.exec(value);
    if (!match) throw invalid();
    at = ENTITY_TAG.lastIndex;
    if (at < value.length && !/[ \t,]/.test(value[at] as string)) throw invalid(); // `"1"x` or `"1""2"`
    tags += 1;
    const [, weak, opaque = ''] = match;
    const version = Number(opaque);
    if (!weak && VERSION.test(opaque) && version <= 2 ** 31 - 1) versions.push(version);
  }
  if (tags === 0) throw invalid();
  return { kind: 'tags', versions };
}

const isStale = (error: unknown) => error instanceof ReplyFailedError && error.code === 'PRECONDITION_FAILED';

/**
 * Makes a change (`change(version)` sends it against that version) as If-Match allows:
 * - one version listed: sent against it; order-management answers PRECONDITION_FAILED (412) if the
 *   order is no longer there;
 * - otherwise (no If-Match, `*`, several or no usable tags): reads the order, 412 if its version is
 *   not listed, sends the change against the version read; when another change wins in between,
 *   reads again, at most MAX_VERSION_ATTEMPTS times, then 409.
 */
export async function changeAtMatchingVersion(
  ifMatch: IfMatch | undefined,
  { read, change }: { read: () => Promise<Order>; change: (version: number) => Promise<Order> },
  maxAttempts = MAX_VERSION_ATTEMPTS,
): Promise<Order> {
  const listed = ifMatch?.kind === 'tags' ? ifMatch.versions : undefined;
  if (listed?.length === 1) return change(listed[0] as number);

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const current = await read();
    if (listed && !listed.includes(current.version)) {
      throw new HttpProblem(
        'preconditionFailed',
        `the order is at version ${current.version} (ETag ${etagOf(current.version)}), which If-Match does not name`,
      );
    }
    try {
      return await change(current.version);
    } catch (error) {
      if (!isStale(error)) throw error;
    }
  }
  throw new HttpProblem('conflict', `the order changed ${maxAttempts} times while this change was being made; read it and try again`);
}
