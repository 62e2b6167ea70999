/** The `data:` payloads of a server-sent-events body, via eventsource-parser's stream. */
import { EventSourceParserStream } from "eventsource-parser/stream";

export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  // The DOM and Node typings disagree on TextDecoderStream's writable side; the runtime object is the same.
  const decoder = new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>;
  const events = body.pipeThrough(decoder).pipeThrough(new EventSourceParserStream());
  const reader = events.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value.data;
    }
  } finally {
    reader.releaseLock();
  }
}
