import querystring from 'node:querystring';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { Response } from 'supertest';
import {
  CreateOrderBody,
  IdempotencyKey,
  ListOrdersQuery,
  ListProductsQuery,
  OrderIdParam,
  ProductIdParam,
  UpdateOrderBody,
} from '@orderline/contracts';
import { createTestProduct, testPrisma, validAddress } from '@orderline/testing';
import { api, customerToken, orderBody, placeOrder, waitForDecision } from './support/api';

/**
 * Property-based fuzzing of everything the gateway reads from a client: bodies, query strings,
 * path ids, Content-Type / Content-Encoding / Authorization / x-correlation-id headers.
 *
 * Always: no 5xx; every non-2xx is application/problem+json whose `status` is the HTTP status and
 * whose `correlationId` is the one in the x-correlation-id header. Where the contract schema
 * decides the outcome (the gateway validates with the same zod schemas), the exact status too;
 * and an accepted order can be read back at once, as it was sent (read-your-writes).
 *
 * The bugs this file found are fixed; the properties check them again, and `fixed bugs stay fixed`
 * at the end pins B1 and B3:
 *   B1  U+0000 in text reached Postgres, which refuses NUL (bodies, path and query ids: fixed by
 *       73946d6; GET /products?cursor=: now a 400 like any bad cursor).
 *   B2  productIds of 33–64 characters were accepted but not storable (b0f4840: ids are limited to 32
 *       in the contract, which this file reads).
 *   B3  GET /orders?cursor= with a forged cursor that decodes (base64url JSON [date, id]) but whose date
 *       is outside years 1–9999 or whose id is not a canonical uuid: a 5xx, now a 400.
 * FUZZ_SEED=<n> replays a run; FUZZ_RUNS=<factor> scales every numRuns.
 */

const SUITE = 'fuzzing the gateway: never a 5xx, every error problem+json with its status and correlation id';
const propertyTimeout = 60_000;
const seed = process.env['FUZZ_SEED'] ? Number(process.env['FUZZ_SEED']) : undefined;
const runs = (n: number) => Math.max(1, Math.round(n * Number(process.env['FUZZ_RUNS'] ?? 1)));
const fcOptions = (numRuns: number) => ({ numRuns: runs(numRuns), seed, maxSkipsPerRun: 1000 });

const prisma = testPrisma();
const token = customerToken('CUST01');
const auth = `Bearer ${token}`;
let productId: string;
/** an order of the caller's (CUST01), CONFIRMED: PATCH targets it */
let myOrderId: string;
/** real cursors, to mutate */
let realOrderCursor = '';
let realProductCursor = '';

beforeAll(async () => {
  productId = (await createTestProduct(prisma, { stock: 1_000_000, unitPrice: '1.00', name: 'Fuzz product' })).id;
  // two orders: one to PATCH, and enough for a list page with a next cursor
  const [mine] = await Promise.all(
    [1, 2].map(async () => waitForDecision(await placeOrder(token, orderBody([{ productId, quantity: 1 }])), token, 90_000)),
  );
  if (mine.status !== 'CONFIRMED') throw new Error(`the fuzz order was ${mine.status}`);
  myOrderId = mine.id;
  realOrderCursor = (await api().get('/api/v1/orders?limit=1').set('authorization', auth)).body.nextCursor ?? '';
  realProductCursor = (await api().get('/api/v1/products?limit=1').set('authorization', auth)).body.nextCursor ?? '';
}, 120_000);
afterAll(() => prisma.$disconnect());

// ---------------------------------------------------------------------------------------------
// checks

const show = (value: unknown) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 300 ? `${text.slice(0, 300)}…(${text.length})` : text;
};

/** FUZZ_STATS=1 prints how often each status came back, per property (to see what the runs covered). */
const stats = new Map<string, Map<number, number>>();
afterAll(() => {
  if (process.env['FUZZ_STATS'] !== '1') return;
  const lines = [...stats].map(
    ([what, counts]) =>
      `${what}: ${[...counts]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}×${n}`)
        .join(' ')}`,
  );
  console.log(`statuses seen:\n${lines.join('\n')}`);
});
const count = (what: string, status: number) => {
  const key = (expect.getState().currentTestName ?? what).replace(SUITE, '').trim();
  const counts = stats.get(key) ?? new Map<number, number>();
  counts.set(status, (counts.get(status) ?? 0) + 1);
  stats.set(key, counts);
};

/** The properties every response must have. Throws (with what came back) otherwise. */
function checkResponse(what: string, res: Response): void {
  count(what, res.status);
  const fail = (why: string) => {
    throw new Error(`${what} → ${res.status}: ${why}; content-type ${res.headers['content-type']}; body ${show(res.text)}`);
  };
  if (res.status >= 500) fail('a 5xx');
  const correlationId = res.headers['x-correlation-id'];
  if (typeof correlationId !== 'string' || correlationId.length === 0) fail('no x-correlation-id header');
  if (res.status >= 200 && res.status < 300) return;
  if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) fail('not application/problem+json');
  let problem: { status?: unknown; correlationId?: unknown; type?: unknown; title?: unknown };
  try {
    problem = JSON.parse(res.text);
  } catch {
    return fail('the problem body is not JSON');
  }
  if (problem.status !== res.status) fail(`problem.status is ${show(problem.status)}`);
  if (typeof problem.correlationId !== 'string' || problem.correlationId.length === 0) fail('no problem.correlationId');
  if (problem.correlationId !== correlationId)
    fail(`problem.correlationId ${show(problem.correlationId)} is not the header's ${correlationId}`);
  if (typeof problem.type !== 'string' || typeof problem.title !== 'string') fail('no problem type/title');
}

function expectStatus(what: string, res: Response, allowed: number[]): void {
  if (!allowed.includes(res.status)) {
    throw new Error(`${what} → ${res.status}, expected ${allowed.join(' or ')}; body ${show(res.text)}`);
  }
}

/** HTTP trims spaces and tabs around header values (not other whitespace). */
const trimOws = (value: string) => value.replace(/^[ \t]+|[ \t]+$/g, '');

const safeParseJson = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
};

/** An accepted order must be readable right away (its GET queues behind its create) and be what was sent. */
async function checkReadBack(orderId: string, body: CreateOrderBody): Promise<void> {
  const res = await api().get(`/api/v1/orders/${orderId}`).set('authorization', auth);
  checkResponse(`GET the accepted order ${orderId}`, res);
  if (res.status !== 200) throw new Error(`accepted order ${orderId} cannot be read back: ${res.status} ${show(res.text)}`);
  const order = res.body as {
    customerId: string;
    items: { productId: string; quantity: number }[];
    shippingAddress: Record<string, unknown>;
  };
  const sortLines = (lines: { productId: string; quantity: number }[]) =>
    lines
      .map(({ productId: id, quantity }) => ({ productId: id, quantity }))
      .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
  const expected = { customerId: 'CUST01', items: sortLines(body.items), shippingAddress: body.shippingAddress };
  const actual = { customerId: order.customerId, items: sortLines(order.items), shippingAddress: order.shippingAddress };
  if (
    JSON.stringify(actual) !==
    JSON.stringify({ ...expected, shippingAddress: orderedLike(actual.shippingAddress, expected.shippingAddress) })
  ) {
    throw new Error(`order ${orderId} reads back as ${show(actual)}, sent ${show(expected)}`);
  }
}

/** `expected` with its keys in the order `actual` has them (key order is not meaning). */
function orderedLike(actual: Record<string, unknown>, expected: Record<string, unknown>): Record<string, unknown> {
  const keys = [...Object.keys(actual).filter((k) => k in expected), ...Object.keys(expected).filter((k) => !(k in actual))];
  return Object.fromEntries(keys.map((k) => [k, expected[k]]));
}

// ---------------------------------------------------------------------------------------------
// arbitraries

const specialChars = [
  '\u0000',
  '\ud800',
  '\udfff',
  '\u202e',
  '\ufeff',
  '\u2028',
  '\u200b',
  '\u00a0',
  ' ',
  '\t',
  '\n',
  '\r',
  '%',
  '\\',
  '"',
  "'",
  '<',
  '>',
  '&',
  '/',
  '?',
  '#',
  '=',
  '+',
  ';',
  ',',
  '😀',
  'é',
  'e\u0301',
  'ß',
  'İ',
  'A',
  'z',
  '0',
  '-',
  '.',
  '{',
  '}',
  '[',
  ']',
];
/** Strings for JSON bodies: printable, any code point, control characters, lone surrogates, edge lengths. */
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'binary-ascii', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom(...specialChars), maxLength: 20 }),
  fc.constantFrom('', ' ', '   ', 'DE', 'de', 'D', 'DEU', 'null', 'true', '0', '-1', '1e3', 'NaN', '__proto__', 'constructor', 'PROD-0001'),
  fc.integer({ min: 0, max: 300 }).map((n) => 'x'.repeat(n)),
);
/** Strings that fit in a URL (no lone surrogates: they have no UTF-8 form). */
const urlText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom(...specialChars.filter((c) => !/\p{Cs}/u.test(c)), '..', '%00', '%zz'), maxLength: 20 }),
  fc.uuid(),
  fc.constantFrom('', '.', '..', '0', '-1', '1e2', '0x10', ' 5 ', '100', '101', 'PENDING', 'CONFIRMED', 'CUST01', 'CUST02', 'PROD-0001'),
  fc.integer({ min: 0, max: 300 }).map((n) => 'y'.repeat(n)),
);
/** Header values Node will send: tab, printable ASCII and Latin-1. */
const headerText = fc.string({
  unit: fc
    .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0x09))
    .map((c) => String.fromCharCode(c)),
  maxLength: 60,
});
/** Number literals JSON.stringify never writes (put into the body text as they are). */
const rawNumber = fc.oneof(
  fc.constantFrom(
    '1e400',
    '-1e400',
    '1e-400',
    '-0',
    '0.0',
    '1.0',
    '1e3',
    '1E2',
    '0.1e1',
    '1000.0000000000001',
    '999.9999999999999999',
    '123456789012345678901234567890',
    '9007199254740993',
    '-9007199254740993',
    '1e309',
    '5e-324',
  ),
  fc.double().filter(Number.isFinite).map(String),
  fc.bigInt().map(String),
);
const anyJson = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }) },
  { weight: 2, arbitrary: text },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, 1, 1000, 1001, 1.5, 1e21, Number.MAX_SAFE_INTEGER)) },
);
/** `[[[…]]]` or `{"a":{"a":…}}`, a few thousand levels deep (kept under the 64 KiB body limit). */
const deepJson = fc.record({ kind: fc.constantFrom('array', 'object'), depth: fc.integer({ min: 1, max: 9_000 }) });
const deepText = ({ kind, depth }: { kind: 'array' | 'object'; depth: number }) =>
  kind === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

type Path = (string | number)[];
type Mutation =
  | { op: 'set'; path: Path; value: unknown }
  | { op: 'delete'; path: Path }
  | { op: 'extraKeys'; path: Path; keys: Record<string, unknown> }
  | { op: 'rawNumber'; path: Path; literal: string }
  | { op: 'deep'; path: Path; deep: { kind: 'array' | 'object'; depth: number } }
  | { op: 'bigString'; path: Path; length: number };

const keyName = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'id',
    'status',
    'unitPrice',
    'totalAmount',
    'customerId',
    'orderId',
    '',
  ),
  fc.string({ maxLength: 10 }),
  fc.string({ unit: 'grapheme', maxLength: 5 }),
);

function mutationsFor(paths: Path[], objects: Path[]): fc.Arbitrary<Mutation> {
  const path = fc.constantFrom(...paths);
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), path, value: anyJson }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), path, value: text }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), path }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('extraKeys' as const),
        path: fc.constantFrom(...objects),
        keys: fc.dictionary(keyName, anyJson, { minKeys: 1, maxKeys: 3 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('rawNumber' as const), path, literal: rawNumber }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('deep' as const), path, deep: deepJson }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('bigString' as const), path, length: fc.integer({ min: 0, max: 70_000 }) }) },
  );
}

/**
 * Applies mutations to a copy of `base` and returns the request body text (raw number literals and
 * deep nesting go in as text: JSON.stringify could not write them).
 */
function mutate(base: unknown, mutations: Mutation[]): string {
  const root: { v: unknown } = { v: structuredClone(base) };
  const raws: string[] = [];
  const placeholder = (raw: string) => {
    raws.push(raw);
    return `\u0001RAW${raws.length - 1}\u0001`;
  };
  for (const m of mutations) {
    const full: Path = ['v', ...m.path];
    let parent: Record<string | number, unknown> = root as unknown as Record<string, unknown>;
    for (const step of full.slice(0, -1)) {
      const next = parent[step];
      if (next === null || typeof next !== 'object') parent[step] = {};
      parent = parent[step] as Record<string | number, unknown>;
    }
    const last = full[full.length - 1] as string | number;
    switch (m.op) {
      case 'set':
        parent[last] = m.value;
        break;
      case 'delete':
        delete parent[last];
        break;
      case 'extraKeys': {
        const target = parent[last];
        if (target !== null && typeof target === 'object') {
          for (const [k, v] of Object.entries(m.keys))
            Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
        }
        break;
      }
      case 'rawNumber':
        parent[last] = placeholder(m.literal);
        break;
      case 'deep':
        parent[last] = placeholder(deepText(m.deep));
        break;
      case 'bigString':
        parent[last] = 'b'.repeat(m.length);
        break;
    }
  }
  let body = JSON.stringify(root.v) ?? 'null';
  raws.forEach((raw, i) => {
    body = body.replace(JSON.stringify(`\u0001RAW${i}\u0001`), () => raw);
  });
  return body;
}

const BODY_LIMIT = 64 * 1024;
/** the gateway's ORDER_MAX_QUANTITY_PER_PRODUCT default (the contract allows up to 1,000) */
const MAX_QUANTITY_PER_PRODUCT = 100;

/** What the gateway sees of a JSON body, or why it refuses it before validation. */
function bodySeen(body: string): { tooLarge: true } | { tooLarge: false; parsed: { ok: true; value: unknown } | { ok: false } } {
  if (Buffer.byteLength(body) > BODY_LIMIT) return { tooLarge: true };
  return { tooLarge: false, parsed: safeParseJson(body) };
}

// ---------------------------------------------------------------------------------------------
// POST /api/v1/orders

const orderPaths: Path[] = [
  [],
  ['items'],
  ['items', 0],
  ['items', 1],
  ['items', 0, 'productId'],
  ['items', 0, 'quantity'],
  ['shippingAddress'],
  ['shippingAddress', 'line1'],
  ['shippingAddress', 'line2'],
  ['shippingAddress', 'city'],
  ['shippingAddress', 'postalCode'],
  ['shippingAddress', 'country'],
  ['customerId'],
];
const orderObjects: Path[] = [[], ['items', 0], ['shippingAddress']];
const validOrder = () => ({ items: [{ productId, quantity: 1 }], shippingAddress: { ...validAddress, line2: 'c/o Fuzz' } });

/** POSTs a JSON body text and checks the outcome against the contract; reads accepted orders back. */
async function postOrder(body: string, idempotencyKey?: string): Promise<void> {
  const seen = bodySeen(body);
  const parsed = !seen.tooLarge && seen.parsed.ok ? CreateOrderBody.safeParse(seen.parsed.value) : undefined;
  let req = api().post('/api/v1/orders').set('authorization', auth).set('content-type', 'application/json');
  if (idempotencyKey !== undefined) req = req.set('idempotency-key', idempotencyKey);
  const res = await req.send(body);
  const what = `POST /api/v1/orders ${show(body)}${idempotencyKey === undefined ? '' : ` (Idempotency-Key ${show(idempotencyKey)})`}`;
  checkResponse(what, res);
  if (seen.tooLarge) return expectStatus(what, res, [413]);
  if (!seen.parsed.ok) return expectStatus(what, res, [400]);
  if (!parsed?.success) return expectStatus(what, res, [400]);
  // the header is validated with the body (one 400 naming both), before anything else is decided
  if (idempotencyKey !== undefined && !IdempotencyKey.safeParse(trimOws(idempotencyKey)).success) return expectStatus(what, res, [400]);
  // the shop's cap on one product in one order (gateway default) is checked after validation, before the handler's own checks
  if (parsed.data.items.some((item) => item.quantity > MAX_QUANTITY_PER_PRODUCT)) return expectStatus(what, res, [422]);
  if (parsed.data.customerId !== undefined && parsed.data.customerId !== 'CUST01') return expectStatus(what, res, [403]);
  // a key reused with another body is a 422
  expectStatus(what, res, idempotencyKey === undefined ? [202] : [202, 422]);
  if (res.status === 202) await checkReadBack(res.body.id, parsed.data);
}

describe(SUITE, () => {
  it(
    'POST /api/v1/orders with arbitrary JSON',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.jsonValue(), fc.jsonValue({ stringUnit: 'binary' }), fc.jsonValue({ maxDepth: 2, stringUnit: 'grapheme' })),
          (value) => postOrder(JSON.stringify(value) ?? 'null'),
        ),
        fcOptions(150),
      );
    },
    propertyTimeout,
  );

  it(
    'POST /api/v1/orders with mutated valid bodies (a field replaced, removed, extra keys, huge numbers, unicode, deep nesting, big strings; Idempotency-Key)',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            {
              weight: 3,
              arbitrary: fc
                .array(mutationsFor(orderPaths, orderObjects), { minLength: 0, maxLength: 3 })
                .map((mutations) => mutate(validOrder(), mutations)),
            },
            // every string of a valid body arbitrary (often still valid: unicode, whitespace, edge lengths)
            {
              weight: 1,
              arbitrary: fc
                .record({
                  productIds: fc.array(fc.oneof(fc.constant('<product>'), text), { minLength: 1, maxLength: 3 }),
                  quantity: fc.oneof(fc.constant(1), fc.integer({ min: -2, max: 1002 })),
                  shippingAddress: fc.record(
                    { line1: text, line2: text, city: text, postalCode: text, country: fc.oneof(fc.constantFrom('DE', 'FR', 'ZZ'), text) },
                    { requiredKeys: ['line1', 'city', 'postalCode', 'country'] },
                  ),
                })
                .map(({ productIds, quantity, shippingAddress }) =>
                  JSON.stringify({
                    items: productIds.map((id) => ({ productId: id === '<product>' ? productId : id, quantity })),
                    shippingAddress,
                  }),
                ),
            },
          ),
          fc.option(
            fc.oneof(
              headerText,
              fc.uuid(),
              fc.integer({ min: 250, max: 260 }).map((n) => 'k'.repeat(n)),
            ),
            { freq: 4 },
          ),
          (body, key) => postOrder(body, key ?? undefined),
        ),
        fcOptions(200),
      );
    },
    propertyTimeout,
  );

  // ---------------------------------------------------------------------------------------------
  // PATCH / PUT /api/v1/orders/:id

  const patchPaths: Path[] = [
    [],
    ['shippingAddress'],
    ['shippingAddress', 'line1'],
    ['shippingAddress', 'line2'],
    ['shippingAddress', 'city'],
    ['shippingAddress', 'postalCode'],
    ['shippingAddress', 'country'],
    ['status'],
    ['trackingCompany'],
    ['trackingNumber'],
    ['id'],
  ];
  const patchBases = [
    { shippingAddress: { line1: '5 Fuzz Lane', city: 'Köln', postalCode: '50667', country: 'DE' } },
    { status: 'SHIPPED', trackingCompany: 'DHL', trackingNumber: '123' },
    { status: 'DELIVERED' },
    { trackingCompany: 'DHL' },
    {},
  ];

  it(
    'PATCH and PUT /api/v1/orders/:id bodies, on an order of the caller and on random ids',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('patch' as const, 'put' as const),
          fc.oneof(fc.constant('mine'), fc.uuid()),
          fc.oneof(
            { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null') },
            // a valid address whose fields are arbitrary strings (often still valid: unicode, whitespace, edge lengths)
            {
              weight: 2,
              arbitrary: fc
                .record(
                  {
                    line1: text,
                    line2: text,
                    city: text,
                    postalCode: text,
                    country: fc.oneof(fc.constantFrom('DE', 'FR', 'US', 'ZZ'), text),
                  },
                  { requiredKeys: ['line1', 'city', 'postalCode', 'country'] },
                )
                .map((shippingAddress) => JSON.stringify({ shippingAddress })),
            },
            {
              weight: 3,
              arbitrary: fc
                .tuple(fc.constantFrom(...patchBases), fc.array(mutationsFor(patchPaths, [[], ['shippingAddress']]), { maxLength: 3 }))
                .map(([base, mutations]) => mutate(base, mutations)),
            },
          ),
          async (method, target, body) => {
            const id = target === 'mine' ? myOrderId : target;
            const seen = bodySeen(body);
            const parsed = !seen.tooLarge && seen.parsed.ok ? UpdateOrderBody.safeParse(seen.parsed.value) : undefined;
            const res = await api()
              [method](`/api/v1/orders/${id}`)
              .set('authorization', auth)
              .set('content-type', 'application/json')
              .send(body);
            const what = `${method.toUpperCase()} /api/v1/orders/${target === 'mine' ? '<mine>' : id} ${show(body)}`;
            checkResponse(what, res);
            if (seen.tooLarge) return expectStatus(what, res, [413]);
            if (!parsed?.success) return expectStatus(what, res, [400]);
            if (parsed.data.status) return expectStatus(what, res, [403]); // a customer may not set the status
            if (target !== 'mine') return expectStatus(what, res, [404]);
            expectStatus(what, res, [200]);
            if (parsed.data.shippingAddress) {
              const got = res.body.shippingAddress as Record<string, unknown>;
              if (JSON.stringify(got) !== JSON.stringify(orderedLike(got, parsed.data.shippingAddress))) {
                throw new Error(`${what}: the order's address became ${show(got)}`);
              }
            }
          },
        ),
        fcOptions(150),
      );
    },
    propertyTimeout,
  );

  // ---------------------------------------------------------------------------------------------
  // query strings

  const enc = encodeURIComponent;
  /** base64url of JSON [date, id]: cursors that decode, with dates and ids the API never gave out */
  const forgedOrderCursor = fc
    .tuple(
      fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
        fc.integer(),
        text,
      ),
      fc.oneof(fc.uuid(), fc.stringMatching(/^[0-9a-f-]{36}$/), text),
    )
    .map((position) => Buffer.from(JSON.stringify(position)).toString('base64url'));
  const mutatedCursor = (real: () => string) =>
    fc.tuple(fc.nat(), fc.string({ maxLength: 3 }), fc.boolean()).map(([at, insert, cut]) => {
      const cursor = real();
      const i = cursor.length === 0 ? 0 : at % cursor.length;
      return cut ? cursor.slice(0, i) + insert : cursor.slice(0, i) + insert + cursor.slice(i + 1);
    });
  const queryValue = (known: fc.Arbitrary<string>) => fc.oneof({ weight: 3, arbitrary: urlText }, { weight: 3, arbitrary: known });
  const queryString = (knownKeys: string[], known: fc.Arbitrary<string>) =>
    fc.oneof(
      {
        weight: 5,
        arbitrary: fc
          .array(fc.tuple(fc.oneof(fc.constantFrom(...knownKeys), urlText), queryValue(known)), { maxLength: 5 })
          .map((pairs) => pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')),
      },
      // raw: unencoded separators, stray and broken percent escapes
      {
        weight: 1,
        arbitrary: fc.string({
          unit: fc.constantFrom(...'abkl1=&%;+[]._~-', ...knownKeys.map((k) => `${k}=`), '%2', '%00', '%ZZ', '%E2%82'),
          maxLength: 12,
        }),
      },
    );

  /** Just a cursor (and sometimes a limit): the part of a query that goes furthest, to the database. */
  const cursorOnly = (cursor: fc.Arbitrary<string>) =>
    fc
      .tuple(cursor, fc.option(fc.constantFrom('1', '5', '100'), { nil: undefined }))
      .map(([c, limit]) => `cursor=${enc(c)}${limit === undefined ? '' : `&limit=${limit}`}`);

  /** What express' "simple" query parser (node:querystring) hands to validation. */
  const parsedQuery = (qs: string) => ({ ...querystring.parse(qs) });

  /** The order-management cursor check, to know when a cursor gets as far as the database. */

  it(
    'GET /api/v1/orders with arbitrary query strings',
    async () => {
      const known = fc.oneof(
        fc.constantFrom(
          'PENDING',
          'CONFIRMED',
          'REJECTED',
          'CANCELLED',
          'SHIPPED',
          'DELIVERED',
          'pending',
          'CUST01',
          'CUST02',
          '1',
          '20',
          '100',
          '101',
          '0',
        ),
        forgedOrderCursor,
        mutatedCursor(() => realOrderCursor),
        fc.constant(0).map(() => realOrderCursor),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            { weight: 3, arbitrary: queryString(['status', 'customerId', 'limit', 'cursor'], known) },
            { weight: 1, arbitrary: cursorOnly(known) },
          ),
          async (qs) => {
            const query = parsedQuery(qs);
            const parsed = ListOrdersQuery.safeParse(query);
            const res = await api().get(`/api/v1/orders?${qs}`).set('authorization', auth);
            const what = `GET /api/v1/orders?${qs}`;
            checkResponse(what, res);
            if (!parsed.success) return expectStatus(what, res, [400]);
            if (parsed.data.customerId !== undefined && parsed.data.customerId !== 'CUST01') return expectStatus(what, res, [403]);
            expectStatus(what, res, parsed.data.cursor === undefined ? [200] : [200, 400]); // 400: a cursor the API never gave out
            if (res.status === 200 && !res.body.items.every((o: { customerId: string }) => o.customerId === 'CUST01')) {
              throw new Error(`${what}: someone else's orders listed`);
            }
          },
        ),
        fcOptions(150),
      );
    },
    propertyTimeout,
  );

  it(
    'GET /api/v1/products with arbitrary query strings',
    async () => {
      const known = fc.oneof(
        fc.constantFrom('1', '20', '100', '101', '0', '-1', '1.5', 'PROD-0001', 'PROD-0999', 'T-', 'zzzz'),
        mutatedCursor(() => realProductCursor),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            { weight: 3, arbitrary: queryString(['limit', 'cursor'], known) },
            { weight: 1, arbitrary: cursorOnly(fc.oneof(known, urlText)) },
          ),
          async (qs) => {
            const parsed = ListProductsQuery.safeParse(parsedQuery(qs));
            const res = await api().get(`/api/v1/products?${qs}`).set('authorization', auth);
            const what = `GET /api/v1/products?${qs}`;
            checkResponse(what, res);
            expectStatus(what, res, parsed.success ? [200] : [400]);
          },
        ),
        fcOptions(150),
      );
    },
    propertyTimeout,
  );

  // ---------------------------------------------------------------------------------------------
  // path ids

  it(
    'arbitrary path ids (URL-encoded, and raw percent escapes) on every :id route',
    async () => {
      const rawEscapes = fc.string({
        unit: fc.constantFrom('a', 'F', '0', '-', '.', '%', '%2', '%00', '%2F', '%2f', '%25', '%C3', '%C3%A9', '%FF', '%E2%80%AE', '%zz'),
        minLength: 1,
        maxLength: 8,
      });
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('GET order', 'DELETE order', 'PATCH order', 'PUT order', 'GET product'),
          fc.oneof(
            { weight: 4, arbitrary: urlText.map((id) => ({ id, encoded: enc(id) })) },
            { weight: 1, arbitrary: rawEscapes.map((raw) => ({ id: undefined, encoded: raw })) },
          ),
          async (route, { id, encoded }) => {
            // what express hands to validation (it decodes the path segment; undefined if it cannot)
            let decoded: string | undefined = id;
            if (decoded === undefined) {
              try {
                decoded = decodeURIComponent(encoded);
              } catch {
                decoded = undefined;
              }
            }
            const isProduct = route === 'GET product';
            const [method, kind] = route.split(' ') as ['GET' | 'DELETE' | 'PATCH' | 'PUT', string];
            const path = `/api/v1/${kind}s/${encoded}`;
            let req = api()[method.toLowerCase() as 'get' | 'delete' | 'patch' | 'put'](path).set('authorization', auth);
            if (method === 'PATCH' || method === 'PUT')
              req = req.set('content-type', 'application/json').send(JSON.stringify({ shippingAddress: validAddress }));
            const res = await req;
            const what = `${method} ${path}`;
            checkResponse(what, res);
            // exact expectations only where the URL reaches the route as written
            if (decoded === undefined || decoded === '' || decoded === '.' || decoded === '..' || id === undefined) return;
            const valid = (isProduct ? ProductIdParam : OrderIdParam).safeParse({ id: decoded }).success;
            if (!valid) return expectStatus(what, res, [400]);
            expectStatus(what, res, isProduct ? [200, 404] : [404]); // random ids: nobody's orders
          },
        ),
        fcOptions(200),
      );
    },
    propertyTimeout,
  );

  // ---------------------------------------------------------------------------------------------
  // headers and raw bodies

  const contentTypes = fc.oneof(
    fc.constantFrom(
      undefined,
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=UTF-16',
      'application/json; charset=latin1',
      'application/json; charset=',
      'application/json; charset="utf-8"',
      'application/json;;',
      'application/json; boundary=',
      'APPLICATION/JSON',
      ' application/json ',
      'application/vnd.api+json',
      'application/problem+json',
      'application/*',
      '*/*',
      'text/plain',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'application/json, text/html',
      '',
    ),
    headerText,
    headerText.map((suffix) => `application/json;${suffix}`),
  );
  const encodings = fc.oneof(
    fc.constantFrom(undefined, undefined, 'identity', 'gzip', 'deflate', 'br', 'compress', 'x-unknown', 'gzip, gzip', 'GZIP'),
    headerText,
  );
  const rawBodies = fc.oneof(
    fc.string().map((s) => Buffer.from(s)),
    fc.string({ unit: 'binary' }).map((s) => Buffer.from(s)),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    fc.constant(0).map(() => Buffer.from(JSON.stringify(validOrder()))),
    fc.constant(0).map(() => Buffer.from(`\ufeff${JSON.stringify(validOrder())}`)),
    fc.constant(0).map(() => gzipSync(JSON.stringify(validOrder()))),
    fc.nat({ max: 60 }).map((n) => Buffer.from(JSON.stringify(validOrder()).slice(0, n))),
    fc.constant(0).map(() => Buffer.from(JSON.stringify(validOrder()), 'utf16le')),
  );

  it(
    'arbitrary Content-Type and Content-Encoding headers with raw (non-JSON) bodies',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('POST /api/v1/orders', 'PATCH /api/v1/orders/<random>'),
          contentTypes,
          encodings,
          rawBodies,
          fc.option(fc.oneof(headerText, fc.constantFrom('my-id.1:2', 'x'.repeat(201))), { freq: 3 }),
          async (route, contentType, encoding, body, correlationId) => {
            const isPost = route.startsWith('POST');
            let req = isPost ? api().post('/api/v1/orders') : api().patch(`/api/v1/orders/${'00000000-0000-4000-8000-00000000f022'}`);
            req = req.set('authorization', auth);
            if (contentType !== undefined) req = req.set('content-type', contentType);
            if (encoding !== undefined) req = req.set('content-encoding', encoding);
            if (correlationId !== null) req = req.set('x-correlation-id', correlationId);
            const res = await req.send(body);
            const what = `${route} content-type ${show(contentType)} content-encoding ${show(encoding)} body ${show(body.toString('base64'))} (base64)`;
            checkResponse(what, res);
            if (
              correlationId !== null &&
              /^[A-Za-z0-9._:-]{1,200}$/.test(trimOws(correlationId)) &&
              res.headers['x-correlation-id'] !== trimOws(correlationId)
            ) {
              throw new Error(`${what}: x-correlation-id ${show(correlationId)} not echoed (got ${res.headers['x-correlation-id']})`);
            }
          },
        ),
        fcOptions(200),
      );
    },
    propertyTimeout,
  );

  it(
    'arbitrary Authorization headers → 401 problem+json (or through, for the real token)',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            headerText,
            headerText.map((t) => `Bearer ${t}`),
            fc.constant(0).map(() => `Bearer ${token}x`),
            fc.constant(0).map(() => `bearer ${token}`),
            fc.constant(0).map(() => `Bearer ${token.split('.').slice(0, 2).join('.')}.`),
            fc.constant(0).map(() => `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${token.split('.')[1]}.`),
          ),
          fc.constantFrom('/api/v1/orders', '/api/v1/products', `/api/v1/orders/00000000-0000-4000-8000-000000000000`),
          async (authorization, path) => {
            const res = await api().get(path).set('authorization', authorization);
            const what = `GET ${path} Authorization ${show(authorization)}`;
            checkResponse(what, res);
            expectStatus(what, res, [401]);
          },
        ),
        fcOptions(100),
      );
    },
    propertyTimeout,
  );
});

describe('fixed bugs stay fixed', () => {
  it('B1: GET /api/v1/products?cursor=%00 → 400 (it used to time out)', async () => {
    const res = await api().get('/api/v1/products?cursor=%00').set('authorization', auth);
    expect(res.status).toBe(400);
  });

  it('B3: GET /api/v1/orders with a forged cursor dated year -200000 → 400 (it used to be a 500)', async () => {
    const cursor = Buffer.from(JSON.stringify(['-200000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])).toString(
      'base64url',
    );
    const res = await api().get(`/api/v1/orders?cursor=${cursor}`).set('authorization', auth);
    expect(res.status).toBe(400);
  });

  it('B1 (73946d6): U+0000 and unpaired surrogates are refused with 400 in bodies and ids', async () => {
    const address = { ...validAddress, line1: 'a\u0000b' };
    const withNul = await api()
      .post('/api/v1/orders')
      .set('authorization', auth)
      .send(orderBody([{ productId, quantity: 1 }], { shippingAddress: address }));
    checkResponse('POST with NUL in line1', withNul);
    expect(withNul.status).toBe(400);
    const loneSurrogate = JSON.stringify(orderBody([{ productId, quantity: 1 }], { shippingAddress: { ...validAddress, city: '\ud800' } }));
    const withSurrogate = await api()
      .post('/api/v1/orders')
      .set('authorization', auth)
      .set('content-type', 'application/json')
      .send(loneSurrogate);
    checkResponse('POST with a lone surrogate in city', withSurrogate);
    expect(withSurrogate.status).toBe(400);
    const patch = await api().patch(`/api/v1/orders/${myOrderId}`).set('authorization', auth).send({ shippingAddress: address });
    checkResponse('PATCH with NUL in line1', patch);
    expect(patch.status).toBe(400);
    const product = await api().get('/api/v1/products/%00').set('authorization', auth);
    checkResponse('GET /api/v1/products/%00', product);
    expect(product.status).toBe(400);
  });

  it('B2 (b0f4840): a productId of 33 characters is refused with 400', async () => {
    const res = await api()
      .post('/api/v1/orders')
      .set('authorization', auth)
      .send(orderBody([{ productId: 'P'.repeat(33), quantity: 1 }]));
    checkResponse('POST with a 33-character productId', res);
    expect(res.status).toBe(400);
  });
});
