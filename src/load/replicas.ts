/**
 * Several servers with no balancer before them (`load --url A B ...`): each request goes to one, by
 * turns (round-robin) or to the one with the fewest requests in flight (least-in-flight, the lowest
 * index on a tie), and its record says which.
 */
import type { OpenAiClient, OpenAiTarget, Prompt, RequestResult } from '../http/openai-client.js';

export type Route = 'round-robin' | 'least-in-flight';

/** What the load runner sends through: one server's client, or replicas. */
export interface LoadSender {
  readonly target: OpenAiTarget;
  send(prompt: Prompt, maxTokens: number, signal?: AbortSignal, options?: { wholeText?: boolean }): Promise<RequestResult & { replica?: number }>;
}

export class Replicas implements LoadSender {
  private readonly inFlight: number[];
  private turn = 0;

  constructor(
    readonly clients: readonly OpenAiClient[],
    private readonly route: Route,
  ) {
    if (clients.length === 0) throw new RangeError('no replica');
    this.inFlight = clients.map(() => 0);
  }

  /** The first replica's target (all serve the same model with the same settings). */
  get target(): OpenAiTarget {
    return (this.clients[0] as OpenAiClient).target;
  }

  /** The replica the next request goes to. */
  pick(): number {
    if (this.route === 'round-robin') return this.turn++ % this.clients.length;
    let best = 0;
    for (let i = 1; i < this.inFlight.length; i++) if ((this.inFlight[i] as number) < (this.inFlight[best] as number)) best = i;
    return best;
  }

  async send(prompt: Prompt, maxTokens: number, signal?: AbortSignal, options: { wholeText?: boolean } = {}): Promise<RequestResult & { replica: number }> {
    const i = this.pick();
    this.inFlight[i] = (this.inFlight[i] as number) + 1;
    try {
      const result = await (this.clients[i] as OpenAiClient).send(prompt, maxTokens, signal, options);
      return Object.assign(result, { replica: i });
    } finally {
      this.inFlight[i] = (this.inFlight[i] as number) - 1;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close().catch(() => undefined)));
  }
}
