import { parsePrometheus, samplesOf, sumOf } from './prometheus';

const text = `# HELP http_request_duration_seconds HTTP requests
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1",method="POST",route="/api/v1/orders",status="202",service="gateway"} 3
http_request_duration_seconds_count{method="POST",route="/api/v1/orders",status="202",service="gateway"} 4
http_request_duration_seconds_count{method="GET",route="/api/v1/orders/:id",status="200",service="gateway"} 7
orderline_outbox_backlog{service="order-management"} 0
process_start_time_seconds 1764640000 1764640000123
weird{path="a \\"quoted\\" \\\\ value"} +Inf
`;

describe('parsePrometheus', () => {
  const samples = parsePrometheus(text);

  it('reads names, labels and values, skipping comments', () => {
    expect(samples).toHaveLength(6);
    expect(samples[1]).toEqual({
      name: 'http_request_duration_seconds_count',
      labels: { method: 'POST', route: '/api/v1/orders', status: '202', service: 'gateway' },
      value: 4,
    });
    expect(samplesOf(samples, 'process_start_time_seconds')[0].value).toBe(1764640000);
  });

  it('unescapes label values and reads +Inf', () => {
    expect(samplesOf(samples, 'weird')[0]).toEqual({ name: 'weird', labels: { path: 'a "quoted" \\ value' }, value: Infinity });
  });

  it('sums the samples matching some labels', () => {
    expect(sumOf(samples, 'http_request_duration_seconds_count')).toBe(11);
    expect(sumOf(samples, 'http_request_duration_seconds_count', { method: 'POST' })).toBe(4);
    expect(sumOf(samples, 'nothing_here')).toBe(0);
  });

  it('refuses a line that is not a sample', () => {
    expect(() => parsePrometheus('this is not prometheus')).toThrow(/not a Prometheus sample line/);
  });
});
