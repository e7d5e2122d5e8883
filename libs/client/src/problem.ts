import { Problem } from '@orderline/contracts';

/** One field a 400 named: its dotted path (`body.items.0.quantity`, `headers.if-match`) and what is wrong. */
export interface ProblemField {
  path: string;
  message: string;
}

/**
 * An error answer of the API (RFC 9457 problem+json), typed: `status`, `type` (`/problems/not-found`, …),
 * `title`, `detail`, the `fields` a validation error named, the `correlationId` to quote, and for
 * 429 / 503 when to try again.
 */
export class OrderlineProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly fields: ProblemField[];
  readonly correlationId?: string;
  /** from Retry-After (429, 503), seconds */
  readonly retryAfterSeconds?: number;

  constructor(problem: {
    status: number;
    type: string;
    title: string;
    detail: string;
    fields?: ProblemField[];
    correlationId?: string;
    retryAfterSeconds?: number;
  }) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = 'OrderlineProblem';
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.fields = problem.fields ?? [];
    this.correlationId = problem.correlationId;
    this.retryAfterSeconds = problem.retryAfterSeconds;
  }

  /** The problem an error response holds (anything that is not problem+json becomes `about:blank` with the status text). */
  static async from(res: Response): Promise<OrderlineProblem> {
    const text = await res.text().catch(() => '');
    const retryAfter = Number(res.headers.get('retry-after'));
    const retryAfterSeconds = Number.isFinite(retryAfter) && res.headers.has('retry-after') ? retryAfter : undefined;
    let parsed: ReturnType<typeof Problem.safeParse> | undefined;
    try {
      parsed = Problem.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success) {
      const { status, type, title, detail, errors, correlationId } = parsed.data;
      return new OrderlineProblem({ status, type, title, detail, fields: errors, correlationId, retryAfterSeconds });
    }
    return new OrderlineProblem({
      status: res.status,
      type: 'about:blank',
      title: res.statusText || `HTTP ${res.status}`,
      detail: text.slice(0, 500),
      correlationId: res.headers.get('x-correlation-id') ?? undefined,
      retryAfterSeconds,
    });
  }
}

/** waitForOrder gave up: the time ran out, or the order reached a status from which `until` can no longer hold. */
export class WaitForOrderError extends Error {
  constructor(
    message: string,
    /** the order as last seen (undefined if it was never read) */
    readonly order: import('@orderline/contracts').Order | undefined,
    readonly reason: 'timeout' | 'final',
  ) {
    super(message);
    this.name = 'WaitForOrderError';
  }
}
