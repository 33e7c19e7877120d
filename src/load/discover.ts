/**
 * Finds an OpenAI-compatible server on this machine's usual ports (tokenbench quick): each port's
 * GET /v1/models, asked at once, the first in the list's order that lists a model wins.
 */
import { expandConfigs } from '../config/sweep.js';
import { openAiTarget } from '../engines/openai.js';
import { OpenAiClient } from '../http/openai-client.js';

/** The ports servers listen on by default, in the order they are tried, with who uses each. */
export const USUAL_PORTS: readonly { port: number; server: string }[] = [
  { port: 8080, server: 'llama.cpp' },
  { port: 11434, server: 'Ollama' },
  { port: 8000, server: 'vLLM' },
  { port: 30000, server: 'SGLang' },
  { port: 1234, server: 'LM Studio' },
];

export interface FoundServer {
  url: string;
  models: string[];
}

/** The models `url` lists, or null when it lists none or does not answer like an OpenAI-compatible server within `timeoutS`. */
export async function listedModels(url: string, timeoutS = 2): Promise<string[] | null> {
  const [config] = expandConfigs([{ fields: { engine: 'openai', model: 'any', engine_options: { url, timeout_s: timeoutS } }, where: 'quick' }]);
  if (!config) return null;
  const client = new OpenAiClient(openAiTarget(config), 1);
  try {
    const listed = await client.listModels();
    return listed.kind === 'listed' && listed.names.length > 0 ? listed.names : null;
  } catch {
    return null;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** The first of `ports` on 127.0.0.1 whose /v1/models lists a model, or null. */
export async function findLocalServer(ports: readonly number[]): Promise<FoundServer | null> {
  const urls = ports.map((port) => `http://127.0.0.1:${port}/v1`);
  const answers = await Promise.all(urls.map((url) => listedModels(url)));
  const i = answers.findIndex((a) => a !== null);
  return i < 0 ? null : { url: urls[i] as string, models: answers[i] as string[] };
}
