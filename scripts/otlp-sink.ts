/**
 * A local OTLP collector that only counts: the target of OTEL_EXPORTER_OTLP_ENDPOINT when tracing's
 * cost is measured (e.g. `npm run bench` with tracing on, see scripts/bench/README.md) without a
 * real collector. Prints the spans received every 10 s; stops on Ctrl-C.
 *
 *   npm run otlp-sink -- [port, default 4318]
 */
import { startOtlpSink } from '@orderline/testing';

async function main() {
  const sink = await startOtlpSink(Number(process.argv[2] ?? 4318));
  console.log(`OTLP sink at ${sink.endpoint} (set OTEL_EXPORTER_OTLP_ENDPOINT=${sink.endpoint})`);
  let last = 0;
  const timer = setInterval(() => {
    const received = sink.received();
    console.log(`${new Date().toISOString()} spans received: ${received} (+${received - last})`);
    last = received;
  }, 10_000);
  process.once('SIGINT', () => {
    clearInterval(timer);
    void sink.close();
  });
}

void main();
