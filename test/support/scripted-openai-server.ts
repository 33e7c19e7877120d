/**
 * A scripted OpenAI-compatible streaming server for tests and benches (Node's http, loopback).
 * It writes tokens on an exact schedule and logs when it actually wrote each chunk
 * (process.hrtime, the same clock as the client's stamps), so a client's stamps can be checked
 * against the truth. The request's `model` picks the script, as comma-separated key=value pairs:
 *
 *   ttft=MS          first token chunk this long after the request arrived (default 20)
 *   itl=MS           between token chunks (default 5)
 *   first_byte=MS    hold the response head this long (default 0: at once)
 *   role_first=1     a role-only chunk right after the head (chat)
 *   reasoning=K      the first K tokens are reasoning, not content (chat)
 *   per_chunk=K      tokens per chunk (default 1)
 *   usage=none|continuous|final   usage on every chunk, or once at the end (default: as asked)
 *   logprobs=0       never send logprobs, even when asked
 *   eos_at=K         stop after K tokens with finish_reason "stop" (a server that ignores ignore_eos)
 *   fail=error_event|status|malformed|cut|stall   fail after `fail_at` chunks (default 0)
 *   fail=fin|reset   close the connection (FIN, or RST) in the same tick as the `fail_at`-th chunk,
 *                    so the client reads the chunk and the end together
 *   status=CODE      the status of fail=status (default 500)
 *   done=0           do not send data: [DONE]
 *   template=K       count K more prompt tokens than were sent (as a chat template would add)
 *   miscount=K       count K more prompt tokens than were sent, except in requests for at most 2
 *                    tokens (a count that the calibration probe does not see)
 *   cached=K         report K prompt tokens served from cache (vLLM's usage.prompt_tokens_details)
 *   no_tokenize=1    answer /tokenize with 404 (a server without a tokenizer endpoint; the script
 *                    is read from the vLLM-shaped body's model)
 *   word_tokens=K    count each word of a text prompt as K tokens (default 1)
 *   prompt_count=N   report N prompt tokens whatever the prompt (a server that cuts prompts to N)
 *   drop_reused=1    a request (a completion, or a question in vLLM's shape) that arrives on a
 *                    connection that served an earlier one is not answered: the connection is
 *                    closed (llama.cpp's server closes after each stream)
 *   drop_ms=MS       with drop_reused, hold such a request this long before closing its connection
 *   one_write=1      write the whole response body in one write (a server that does not stream)
 *   empty_tokenize=1 answer /tokenize with an empty list (llama.cpp's server answering a body of another shape)
 *   no_detokenize=1  answer /detokenize with 404 (a server that tokenizes but cannot turn ids back)
 *   detokenize_for=N answer /detokenize N times, then 503 (a tokenizer service that went down mid-run)
 *   chat_count_for=N answer a chat's /tokenize (messages) N times, then 503
 *   tagged=1         each token's text names its request (` c<N>t<k>`), so a reply can be told from another's
 *   slots=K          a server with K slots and one FIFO queue (per model string): a request waits
 *                    for a free slot, and its ttft (prefill) and itl count from when it got one; the
 *                    slot is freed when its response ends (a server of known capacity)
 *
 * POST /tokenize and /detokenize (vLLM's shapes, a chat's messages too: as JSON, word_tokens a word,
 * plus the script's template tokens) use a whitespace tokenizer; GET /_log returns
 * the write log; GET /v1/models lists the names given to startScriptedServer (404 when none).
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ScriptedRequestLog {
  id: string;
  /** When the request body had fully arrived (ns). */
  arrived_ns: string;
  /** When each SSE event was scheduled and when it was actually written (ns, written just before res.write). */
  scheduled_ns: string[];
  written_ns: string[];
  /** Tokens in each event. */
  tokens: number[];
  /** The response has ended (or failed). */
  done: boolean;
  /** The prompt as sent: token ids, or the text (chat: the last message's content). */
  prompt: number[] | string;
  /** slots=K: when the request got its slot (ns). */
  slot_ns?: string;
  /** Chat: every message as sent. */
  messages?: { role: string; content: string }[];
  /** The visible text the server sent back, in full. */
  reply?: string;
  /** The request's Authorization header, when it had one. */
  authorization?: string;
  /** Its Content-Type and Accept headers, as sent. */
  content_type?: string;
  accept?: string;
}

/** A question to the server other than a completion (/tokenize, /detokenize, /apply-template, ...): its path and body. */
export interface ScriptedQuestion {
  path: string;
  body: unknown;
}

interface Script {
  ttft: number;
  itl: number;
  firstByte: number;
  roleFirst: boolean;
  reasoning: number;
  perChunk: number;
  usage: 'none' | 'continuous' | 'final' | null;
  logprobs: boolean;
  eosAt: number | null;
  fail: 'error_event' | 'status' | 'malformed' | 'cut' | 'stall' | 'fin' | 'reset' | null;
  failAt: number;
  status: number;
  done: boolean;
  template: number;
  miscount: number;
  noTokenize: boolean;
  wordTokens: number;
  promptCount: number | null;
  cached: number | null;
  dropReused: boolean;
  dropMs: number;
  oneWrite: boolean;
  slots: number | null;
  tagged: boolean;
  emptyTokenize: boolean;
  noDetokenize: boolean;
  detokenizeFor: number | null;
  chatCountFor: number | null;
}

/** The script named by a model string (unknown keys are an error the client sees as HTTP 400). */
export function parseScript(model: string): Script {
  const s: Script = { ttft: 20, itl: 5, firstByte: 0, roleFirst: false, reasoning: 0, perChunk: 1, usage: null, logprobs: true, eosAt: null, fail: null, failAt: 0, status: 500, done: true, template: 0, miscount: 0, noTokenize: false, wordTokens: 1, promptCount: null, cached: null, dropReused: false, dropMs: 0, oneWrite: false, slots: null, tagged: false, emptyTokenize: false, noDetokenize: false, detokenizeFor: null, chatCountFor: null };
  for (const pair of model.split(',')) {
    if (!pair.includes('=')) continue;
    const [k, v = ''] = pair.split('=') as [string, string];
    const n = Number(v);
    switch (k) {
      case 'ttft': s.ttft = n; break;
      case 'itl': s.itl = n; break;
      case 'first_byte': s.firstByte = n; break;
      case 'role_first': s.roleFirst = v === '1'; break;
      case 'reasoning': s.reasoning = n; break;
      case 'per_chunk': s.perChunk = n; break;
      case 'usage': s.usage = v as Script['usage']; break;
      case 'logprobs': s.logprobs = v !== '0'; break;
      case 'eos_at': s.eosAt = n; break;
      case 'fail': s.fail = v as Script['fail']; break;
      case 'fail_at': s.failAt = n; break;
      case 'status': s.status = n; break;
      case 'done': s.done = v !== '0'; break;
      case 'template': s.template = n; break;
      case 'one_write': s.oneWrite = v === '1'; break;
      case 'miscount': s.miscount = n; break;
      case 'cached': s.cached = n; break;
      case 'no_tokenize': s.noTokenize = v === '1'; break;
      case 'word_tokens': s.wordTokens = n; break;
      case 'prompt_count': s.promptCount = n; break;
      case 'drop_reused': s.dropReused = v === '1'; break;
      case 'drop_ms': s.dropMs = n; break;
      case 'slots': s.slots = n; break;
      case 'tagged': s.tagged = v === '1'; break;
      case 'empty_tokenize': s.emptyTokenize = v === '1'; break;
      case 'no_detokenize': s.noDetokenize = v === '1'; break;
      case 'detokenize_for': s.detokenizeFor = n; break;
      case 'chat_count_for': s.chatCountFor = n; break;
      default: throw new Error(`unknown script key '${k}'`);
    }
  }
  return s;
}

function parseScriptOrNull(model: string): Script | null {
  try {
    return parseScript(model);
  } catch {
    return null;
  }
}

const words = (text: string): string[] => text.split(/\s+/).filter((w) => w !== '');
const wordId = (w: string): number => {
  let h = 0;
  for (let i = 0; i < w.length; i++) h = (h * 31 + w.charCodeAt(i)) % 50000;
  return h + 10;
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

export interface ScriptedServer {
  url: string;
  port: number;
  log: ScriptedRequestLog[];
  /** Every POST that was not a completion, in order (what a client asked about tokens and templates). */
  questions: ScriptedQuestion[];
  close(): Promise<void>;
}

/** `tls`: serve HTTPS with this PEM key and certificate (the URL then names localhost). */
export async function startScriptedServer(port = 0, tls?: { key: string; cert: string }, models: readonly string[] = []): Promise<ScriptedServer> {
  const log: ScriptedRequestLog[] = [];
  const questions: ScriptedQuestion[] = [];
  /** detokenize_for=N: answers given so far, per model string. */
  const detokenized = new Map<string, number>();
  /** chat_count_for=N: chat counts answered so far, per model string. */
  const chatCounted = new Map<string, number>();
  let counter = 0;
  /** Requests each connection has carried. */
  const served = new WeakMap<object, number>();

  /** slots=K: free slots and the FIFO queue of waiting requests, per model string. */
  const slotPools = new Map<string, { free: number; waiting: (() => void)[] }>();
  const takeSlot = (model: string, slots: number): Promise<() => void> => {
    const pool = slotPools.get(model) ?? { free: slots, waiting: [] };
    slotPools.set(model, pool);
    const release = (): void => {
      const next = pool.waiting.shift();
      if (next) next();
      else pool.free++;
    };
    if (pool.free > 0) {
      pool.free--;
      return Promise.resolve(release);
    }
    return new Promise((resolve) => pool.waiting.push(() => resolve(release)));
  };

  const stream = (res: ServerResponse, body: Record<string, unknown>, script: Script, arrived: bigint, chat: boolean, startAt = arrived): ScriptedRequestLog => {
    const id = `cmpl-${counter++}`;
    const messages = Array.isArray(body.messages) ? (body.messages as { content?: unknown }[]) : [];
    const prompt = Array.isArray(body.prompt) ? (body.prompt as number[]) : typeof body.prompt === 'string' ? body.prompt : String(messages[messages.length - 1]?.content ?? '');
    const entry: ScriptedRequestLog = {
      id,
      arrived_ns: arrived.toString(),
      scheduled_ns: [],
      written_ns: [],
      tokens: [],
      done: false,
      prompt,
      ...(startAt !== arrived ? { slot_ns: startAt.toString() } : {}),
      ...(chat ? { messages: messages.map((m) => ({ role: String((m as { role?: unknown }).role), content: String(m.content) })) } : {}),
      reply: '',
    };
    res.on('close', () => (entry.done = true));
    log.push(entry);
    const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : 16;
    const total = script.eosAt === null ? maxTokens : Math.min(maxTokens, script.eosAt);
    const promptTokens = script.promptCount ?? script.template + (maxTokens > 2 ? script.miscount : 0) + (Array.isArray(body.prompt) ? body.prompt.length : script.wordTokens * words(typeof body.prompt === 'string' ? body.prompt : JSON.stringify(body.messages ?? '')).length);
    const streamOptions = body.stream_options as { include_usage?: boolean; continuous_usage_stats?: boolean } | undefined;
    const usageMode = script.usage ?? (streamOptions?.continuous_usage_stats ? 'continuous' : streamOptions?.include_usage ? 'final' : 'none');
    const wantLogprobs = script.logprobs && body.logprobs !== undefined && body.logprobs !== false;

    // the events: [scheduled ms after arrival, payload, tokens]
    const events: [number, string, number][] = [];
    const usage = (completion: number): Record<string, unknown> => ({
      prompt_tokens: promptTokens,
      completion_tokens: completion,
      total_tokens: promptTokens + completion,
      ...(script.cached !== null ? { prompt_tokens_details: { cached_tokens: script.cached } } : {}),
    });
    if (script.roleFirst) events.push([script.firstByte, JSON.stringify({ id, model: body.model, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }], ...(usageMode === 'continuous' ? { usage: usage(0) } : {}) }), 0]);
    let sent = 0;
    for (let chunk = 0; sent < total; chunk++) {
      const k = Math.min(script.perChunk, total - sent);
      const first = sent;
      sent += k;
      const toks = Array.from({ length: k }, (_, j) => (script.tagged ? ` c${id.slice(5)}t${first + j}` : ` t${first + j}`));
      const text = toks.join('');
      if (first >= script.reasoning || !chat) entry.reply += text;
      const finish = sent >= total ? (script.eosAt !== null && sent < maxTokens ? 'stop' : 'length') : null;
      const reasoning = first < script.reasoning;
      const choice: Record<string, unknown> = chat ? { index: 0, delta: reasoning ? { reasoning_content: text } : { content: text }, finish_reason: finish } : { index: 0, text, finish_reason: finish };
      if (wantLogprobs) choice.logprobs = chat ? { content: toks.map((t) => ({ token: t, logprob: -0.5 })) } : { tokens: toks, token_logprobs: toks.map(() => -0.5) };
      const payload = { id, model: body.model, choices: [choice], ...(usageMode === 'continuous' ? { usage: usage(sent) } : {}) };
      events.push([script.ttft + chunk * script.itl, JSON.stringify(payload), k]);
    }
    const lastAt = events.length > 0 ? (events[events.length - 1] as [number, string, number])[0] : script.ttft;
    if (usageMode !== 'none') events.push([lastAt, JSON.stringify({ id, model: body.model, choices: [], usage: usage(sent) }), 0]);

    let index = 0;
    const writeNext = (): void => {
      if (res.destroyed) return;
      if (script.fail !== null && index === script.failAt) {
        if (script.fail === 'stall') return; // never writes again
        if (script.fail === 'cut') {
          res.socket?.destroy();
          return;
        }
        if (script.fail === 'malformed') {
          res.end('data: {"id": "x", "choices": [\n\n');
          return;
        }
        if (script.fail === 'error_event') {
          res.end(`data: ${JSON.stringify({ error: { message: 'scripted failure', type: 'InternalServerError', code: 500 } })}\n\n`);
          return;
        }
      }
      const event = events[index];
      if (!event) {
        res.end(script.done ? 'data: [DONE]\n\n' : undefined);
        return;
      }
      const [atMs, payload, tokens] = event;
      const scheduled = startAt + BigInt(Math.round(atMs * 1e6));
      const wait = Number(scheduled - process.hrtime.bigint()) / 1e6;
      if (wait > 0) {
        setTimeout(writeNext, wait);
        return;
      }
      entry.scheduled_ns.push(scheduled.toString());
      entry.written_ns.push(process.hrtime.bigint().toString());
      entry.tokens.push(tokens);
      res.write(`data: ${payload}\n\n`);
      index++;
      if ((script.fail === 'fin' || script.fail === 'reset') && index === script.failAt) {
        if (script.fail === 'fin') res.socket?.end();
        else res.socket?.resetAndDestroy();
        return;
      }
      setImmediate(writeNext);
    };
    const start = (): void => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      if (script.oneWrite) {
        res.end(`${events.map(([, payload]) => `data: ${payload}\n\n`).join('')}data: [DONE]\n\n`);
        return;
      }
      res.flushHeaders();
      writeNext();
    };
    if (script.firstByte > 0) setTimeout(start, script.firstByte);
    else start();
    return entry;
  };

  const handle: RequestListener = async (req, res) => {
    const before = served.get(req.socket) ?? 0;
    served.set(req.socket, before + 1);
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(models.length > 0 ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(models.length > 0 ? { object: 'list', data: models.map((id) => ({ id, object: 'model' })) } : { error: { message: 'no route' } }));
      return;
    }
    const text = await readBody(req);
    const arrived = process.hrtime.bigint();
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.method === 'GET' && req.url?.startsWith('/_log')) {
      const entries = log.filter((e) => e.done);
      if (req.url.includes('clear=1')) log.splice(0, log.length, ...log.filter((e) => !e.done));
      return json(200, entries);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return json(400, { error: { message: 'body is not JSON' } });
    }
    const question = req.url !== '/v1/completions' && req.url !== '/v1/chat/completions';
    // a question in vLLM's shape names the script: drop_reused closes its reused connection as for a completion
    if (question && typeof body.model === 'string' && parseScriptOrNull(body.model)?.dropReused && before > 0) {
      req.socket.destroy();
      return;
    }
    if (question) questions.push({ path: req.url ?? '', body });
    if (req.url === '/tokenize' && typeof body.model === 'string' && parseScriptOrNull(body.model)?.noTokenize) return json(404, { error: { message: 'no route' } });
    // llama.cpp's shapes carry no model: such a server answers by its own script, found in no body
    if (req.url === '/tokenize' && typeof body.model === 'string' && parseScriptOrNull(body.model)?.emptyTokenize) return json(200, { tokens: [] });
    if (req.url === '/detokenize' && typeof body.model === 'string' && parseScriptOrNull(body.model)?.noDetokenize) return json(404, { error: { message: 'no route' } });
    const detokenizeFor = req.url === '/detokenize' && typeof body.model === 'string' ? parseScriptOrNull(body.model)?.detokenizeFor : null;
    if (typeof detokenizeFor === 'number') {
      const answered = detokenized.get(body.model as string) ?? 0;
      if (answered >= detokenizeFor) return json(503, { error: { message: 'tokenizer unavailable' } });
      detokenized.set(body.model as string, answered + 1);
    }
    // a chat (vLLM's shape): the messages as JSON, word by word, and the template's tokens
    if (req.url === '/tokenize' && Array.isArray(body.messages)) {
      const script = parseScriptOrNull(String(body.model ?? ''));
      if (typeof script?.chatCountFor === 'number') {
        const answered = chatCounted.get(body.model as string) ?? 0;
        if (answered >= script.chatCountFor) return json(503, { error: { message: 'tokenizer unavailable' } });
        chatCounted.set(body.model as string, answered + 1);
      }
      const ids = words(JSON.stringify(body.messages)).flatMap((w) => Array.from({ length: script?.wordTokens ?? 1 }, () => wordId(w)));
      return json(200, { tokens: [...Array.from({ length: script?.template ?? 0 }, (_, i) => i + 1), ...ids] });
    }
    if (req.url === '/tokenize') return json(200, { tokens: words(String(body.prompt ?? '')).map(wordId) });
    if (req.url === '/detokenize') return json(200, { prompt: ((body.tokens as number[]) ?? []).map((t) => `w${t}`).join(' ') });
    const chat = req.url === '/v1/chat/completions';
    if (!chat && req.url !== '/v1/completions') return json(404, { error: { message: `no route ${req.url}` } });
    let script: Script;
    try {
      script = parseScript(String(body.model ?? ''));
    } catch (err) {
      return json(400, { error: { message: (err as Error).message } });
    }
    if (script.dropReused && before > 0) {
      if (script.dropMs > 0) await new Promise((resolve) => setTimeout(resolve, script.dropMs));
      req.socket.destroy();
      return;
    }
    if (script.fail === 'status' && script.failAt === 0) return json(script.status, { error: { message: `scripted status ${script.status}`, type: 'scripted' } });
    if (script.slots !== null) {
      const release = await takeSlot(String(body.model), script.slots);
      if (res.destroyed) return release();
      res.on('close', release);
      stream(res, body, script, arrived, chat, process.hrtime.bigint());
      return;
    }
    const entry = stream(res, body, script, arrived, chat);
    if (req.headers.authorization) entry.authorization = req.headers.authorization;
    if (req.headers['content-type']) entry.content_type = req.headers['content-type'];
    if (req.headers.accept) entry.accept = req.headers.accept;
  };
  const server = tls ? createTlsServer(tls, handle) : createServer(handle);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: tls ? `https://localhost:${actual}/v1` : `http://127.0.0.1:${actual}/v1`,
    port: actual,
    log,
    questions,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// run as a script (benches): print the URL, serve until killed
if (process.argv.includes('--serve')) {
  void startScriptedServer(Number(process.env.PORT ?? 0)).then((s) => process.stdout.write(`${JSON.stringify({ url: s.url })}\n`));
}
