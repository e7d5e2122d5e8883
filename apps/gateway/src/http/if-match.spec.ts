import type { Order } from '@orderline/contracts';
import { ReplyFailedError } from '@orderline/messaging';
import { MAX_VERSION_ATTEMPTS, changeAtMatchingVersion, etagOf, parseIfMatch } from './if-match';
import { HttpProblem } from './problem-response';

describe('parseIfMatch', () => {
  it('absent → undefined; "*" → any', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('*')).toEqual({ kind: 'any' });
    expect(parseIfMatch(' * ')).toEqual({ kind: 'any' });
  });

  it.each([
    ['"3"', [3]],
    ['"1","2"', [1, 2]],
    [' "1" ,\t"20" , ', [1, 20]],
    [', "4",,', [4]], // empty list elements are allowed (RFC 9110 §5.6.1)
    ['W/"3"', []], // If-Match compares strongly: a weak tag matches nothing
    ['W/"3", "5"', [5]],
    ['"abc", "", "03", "-1", "1.5"', []], // well-formed tags that are no version of ours
    ['"99999999999"', []], // beyond any version
    ['"2147483647"', [2147483647]],
  ])('%s → versions %j', (header, versions) => {
    expect(parseIfMatch(header)).toEqual({ kind: 'tags', versions });
  });

  it.each(['3', 'W/3', '"3', '3"', '*, "3"', '"3" *', '"1""2"', '"1"x', 'w/"1"', '', ' , ', '"a b"', '"a\u0001"'])(
    'refuses %j with a 400 naming headers.if-match',
    (header) => {
      const attempt = () => parseIfMatch(header);
      expect(attempt).toThrow(HttpProblem);
      try {
        attempt();
      } catch (error) {
        expect(error).toMatchObject({ kind: 'validation', errors: [{ path: 'headers.if-match', message: expect.any(String) }] });
      }
    },
  );

  it('reads back what etagOf writes', () => {
    expect(etagOf(7)).toBe('"7"');
    expect(parseIfMatch(etagOf(7))).toEqual({ kind: 'tags', versions: [7] });
  });
});

describe('changeAtMatchingVersion', () => {
  const orderAt = (version: number) => ({ id: 'o', version }) as Order;
  const stale = () => new ReplyFailedError('PRECONDITION_FAILED', 'the order is at version 9, not 1');

  /** read answers the versions in turn; change fails stale for the versions in `staleAt` */
  function fakes(versions: number[], staleAt: number[] = []) {
    const calls: string[] = [];
    let reads = 0;
    return {
      calls,
      read: async () => {
        const version = versions[Math.min(reads++, versions.length - 1)] as number;
        calls.push(`read ${version}`);
        return orderAt(version);
      },
      change: async (version: number) => {
        calls.push(`change ${version}`);
        if (staleAt.includes(version)) throw stale();
        return orderAt(version + 1);
      },
    };
  }

  it('one version in If-Match: sent against it at once, no read; a stale answer propagates (412)', async () => {
    const ok = fakes([5]);
    await expect(changeAtMatchingVersion({ kind: 'tags', versions: [5] }, ok)).resolves.toEqual(orderAt(6));
    expect(ok.calls).toEqual(['change 5']);

    const late = fakes([5], [4]);
    await expect(changeAtMatchingVersion({ kind: 'tags', versions: [4] }, late)).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(late.calls).toEqual(['change 4']);
  });

  it.each([
    ['no If-Match', undefined],
    ['*', { kind: 'any' } as const],
  ])('%s: against the version read', async (_name, ifMatch) => {
    const f = fakes([3]);
    await expect(changeAtMatchingVersion(ifMatch, f)).resolves.toEqual(orderAt(4));
    expect(f.calls).toEqual(['read 3', 'change 3']);
  });

  it('several versions: the current one if listed, else 412 without sending anything', async () => {
    const listed = fakes([3]);
    await expect(changeAtMatchingVersion({ kind: 'tags', versions: [2, 3] }, listed)).resolves.toEqual(orderAt(4));
    expect(listed.calls).toEqual(['read 3', 'change 3']);

    const unlisted = fakes([4]);
    const refused = changeAtMatchingVersion({ kind: 'tags', versions: [2, 3] }, unlisted);
    await expect(refused).rejects.toBeInstanceOf(HttpProblem);
    await expect(refused).rejects.toMatchObject({ kind: 'preconditionFailed', detail: expect.stringContaining('version 4') });
    expect(unlisted.calls).toEqual(['read 4']);
  });

  it('no usable tag (weak or not a version): the order is read (404 wins) and then 412', async () => {
    const f = fakes([1]);
    await expect(changeAtMatchingVersion({ kind: 'tags', versions: [] }, f)).rejects.toMatchObject({ kind: 'preconditionFailed' });
    expect(f.calls).toEqual(['read 1']);
  });

  it('losing a race reads again and sends against the new version', async () => {
    const f = fakes([1, 2], [1]);
    await expect(changeAtMatchingVersion(undefined, f)).resolves.toEqual(orderAt(3));
    expect(f.calls).toEqual(['read 1', 'change 1', 'read 2', 'change 2']);
  });

  it(`gives up with 409 after ${MAX_VERSION_ATTEMPTS} lost races`, async () => {
    const f = fakes([1, 2, 3, 4], [1, 2, 3, 4]);
    await expect(changeAtMatchingVersion(undefined, f)).rejects.toMatchObject({ kind: 'conflict' });
    expect(f.calls).toEqual(['read 1', 'change 1', 'read 2', 'change 2', 'read 3', 'change 3']);
    expect(MAX_VERSION_ATTEMPTS).toBe(3);
  });

  it('other refusals are not retried', async () => {
    const read = jest.fn(async () => orderAt(1));
    const change = jest.fn(async () => {
      throw new ReplyFailedError('CONFLICT', 'an order that is SHIPPED cannot become SHIPPED');
    });
    await expect(changeAtMatchingVersion(undefined, { read, change })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(read).toHaveBeenCalledTimes(1);
    expect(change).toHaveBeenCalledTimes(1);
  });
});
