/** One server-sent event: `id` is the last id the stream set (what Last-Event-ID resumes from). */
export interface ServerSentEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * Reads a `text/event-stream` body (WHATWG HTML §9.2 parsing rules): lines end in CRLF, LF or CR;
 * comments are skipped; `data:` lines join with LF; a message without data dispatches nothing but
 * still moves the id on (`onId`).
 */
export async function* readEventStream(
  body: ReadableStream<Uint8Array>,
  onId: (id: string) => void = () => undefined,
): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder('utf-8');
  const reader = body.getReader();
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  let first = true;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      if (first && buffer.length > 0) {
        if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
        first = false;
      }
      let lineEnd: number;
      while ((lineEnd = buffer.search(/\r\n|\n|\r/)) >= 0) {
        // a CR at the very end may be the first half of CRLF: wait for the next chunk
        if (buffer[lineEnd] === '\r' && lineEnd === buffer.length - 1) break;
        const line = buffer.slice(0, lineEnd);
        buffer = buffer.slice(lineEnd + (buffer.startsWith('\r\n', lineEnd) ? 2 : 1));
        if (line === '') {
          if (id !== undefined) onId(id);
          if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n') };
          data = [];
          event = '';
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
        else if (field === 'id' && !value.includes('\0')) id = value;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
