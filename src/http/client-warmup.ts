/**
 * The client's own code, warmed before anything is measured. V8 runs new code slowly (interpreted at
 * first, optimised only after some thousands of calls), so without this the first few thousand chunks
 * of a run cost the client two to three times their steady CPU, and are stamped that much later. A
 * loopback server in this process streams responses in the target API's shape through the very path a
 * measured request takes (an undici pool, streamRequest, the SSE framer, the stream reader; every other
 * response on a new connection, as against llama.cpp's server, which closes after each stream); nothing is
 * recorded and nothing reaches the server under test. Once per process and API: what V8 compiled stays
 * compiled. TOKENBENCH_CLIENT_WARMUP=0 turns it off (to measure what it does: bench/client-cpu.ts).
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type OpenAiApi, OpenAiClient, type OpenAiTarget } from './openai-client.js';

/** Responses streamed, of WARMUP_CHUNKS chunks each: about 3000 chunks, where the client's CPU per chunk levels off (docs/metrics.md). */
export const WARMUP_RESPONSES = 48;
export const WARMUP_CHUNKS = 64;

const warmed = new Map<OpenAiApi, Promise<number>>();

/**
 * Streams the warm-up through the client's path for `target`'s API, once per process; resolves to
 * the token chunks read (0 when turned off, or when this machine cannot listen on loopback: the run
 * then starts cold, as it would have).
 */
export function warmClientPath(target: OpenAiTarget, signal?: AbortSignal): Promise<number> {
  if (process.env.TOKENBENCH_CLIENT_WARMUP === '0') return Promise.resolve(0);
  let done = warmed.get(target.api);
  if (!done) {
    done = streamClientWarmup(target, signal).catch(() => 0);
    warmed.set(target.api, done);
  }
  return done;
}

/** The warm-up itself, every call: the tokens the client read from responses it took as whole and clean (what shows the chunks went down the measured path). */
export async function streamClientWarmup(target: OpenAiTarget, signal?: AbortSignal): Promise<number> {
  let served = 0;
  const server = createServer((req, res) => {
    req.resume();
    // every other response closes its connection, as llama.cpp's server does after each stream: the connecting path is warmed too
    req.on('end', () => streamChunks(res, target.api, served++ % 2 === 1));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const client = new OpenAiClient({ ...target, url: `http://127.0.0.1:${port}/v1`, apiKey: null, busyPoll: false }, 1);
  let chunks = 0;
  try {
    for (let i = 0; i < WARMUP_RESPONSES && !signal?.aborted; i++) {
      const r = await client.send({ text: 'warm' }, WARMUP_CHUNKS, signal);
      if (r.reading.failure === null) chunks += r.reading.outputTokens;
    }
  } finally {
    await client.close();
    server.closeAllConnections();
    server.close();
  }
  return chunks;
}

/** One response: WARMUP_CHUNKS token chunks as vLLM and llama.cpp stream them (logprobs, running usage), each its own write, then the final usage and [DONE]. */
function streamChunks(res: ServerResponse, api: OpenAiApi, close: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...(close ? { connection: 'close' } : {}) });
  let i = 0;
  const next = (): void => {
    if (res.destroyed) return;
    const usage = `"usage":{"prompt_tokens":4,"completion_tokens":${i},"total_tokens":${4 + i}}`;
    if (i === WARMUP_CHUNKS) {
      res.end(`data: {"id":"warm","object":"${api === 'chat' ? 'chat.completion.chunk' : 'text_completion'}","created":0,"model":"warm","choices":[],${usage}}\n\ndata: [DONE]\n\n`);
      return;
    }
    i++;
    const text = ` w${i}`;
    const choice =
      api === 'chat'
        ? `{"index":0,"delta":{"content":"${text}"},"logprobs":{"content":[{"token":"${text}","logprob":-0.5,"top_logprobs":[]}]},"finish_reason":${i === WARMUP_CHUNKS ? '"length"' : 'null'}}`
        : `{"index":0,"text":"${text}","logprobs":{"tokens":["${text}"],"token_logprobs":[-0.5],"top_logprobs":null,"text_offset":[0]},"finish_reason":${i === WARMUP_CHUNKS ? '"length"' : 'null'}}`;
    res.write(`data: {"id":"warm","object":"${api === 'chat' ? 'chat.completion.chunk' : 'text_completion'}","created":0,"model":"warm","choices":[${choice}],${usage}}\n\n`);
    setImmediate(next);
  };
  next();
}
