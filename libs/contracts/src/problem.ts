import { z } from 'zod';

/** RFC 9457 problem details, the body of every error response (`application/problem+json`). */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  correlationId: z.string(),
});
export type Problem = z.infer<typeof Problem>;

/** The kinds of problem the API answers with; `type` is `/problems/<slug>`. */
export const ProblemKinds = {
  validation: { status: 400, slug: 'validation-error', title: 'The request is not valid' },
  malformedJson: { status: 400, slug: 'malformed-json', title: 'The body is not valid JSON' },
  unauthorized: { status: 401, slug: 'unauthorized', title: 'Authentication is required' },
  forbidden: { status: 403, slug: 'forbidden', title: 'Not allowed' },
  notFound: { status: 404, slug: 'not-found', title: 'Not found' },
  conflict: { status: 409, slug: 'conflict', title: 'The change conflicts with the current state' },
  preconditionFailed: { status: 412, slug: 'precondition-failed', title: 'The resource is no longer at the version named in If-Match' },
  payloadTooLarge: { status: 413, slug: 'payload-too-large', title: 'The body is too large' },
  unsupportedMediaType: { status: 415, slug: 'unsupported-media-type', title: 'The body must be application/json' },
  gone: { status: 410, slug: 'gone', title: 'No longer available' },
  idempotencyConflict: {
    status: 422,
    slug: 'idempotency-key-reused',
    title: 'The Idempotency-Key was used with a different request',
  },
  orderLimit: { status: 422, slug: 'order-limit-exceeded', title: 'The order exceeds a limit of the shop' },
  tooManyRequests: { status: 429, slug: 'too-many-requests', title: 'Too many requests: retry after the seconds in Retry-After' },
  internal: { status: 500, slug: 'internal-error', title: 'Internal error' },
  unavailable: { status: 503, slug: 'service-unavailable', title: 'A dependency is unavailable' },
  timeout: { status: 504, slug: 'timeout', title: 'A dependency did not answer in time' },
} as const;
export type ProblemKind = keyof typeof ProblemKinds;

export function problem(kind: ProblemKind, detail: string, correlationId: string, errors?: Problem['errors']): Problem {
  const { status, slug, title } = ProblemKinds[kind];
  return { type: `/problems/${slug}`, title, status, detail, ...(errors ? { errors } : {}), correlationId };
}

/** zod issues → `errors: [{path, message}]` with JSON-pointer-like dotted paths. */
export function issuesToErrors(error: z.ZodError, prefix = ''): NonNullable<Problem['errors']> {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return { path: [path, issue.keys.join(',')].filter(Boolean).join('.'), message: 'unknown field' };
    }
    return { path: path || '(root)', message: issue.message };
  });
}
