"""
A streaming client that takes its stamps where vLLM's serving benchmark (benchmark_serving.py,
async_request_openai_completions) takes them, for a side-by-side comparison in
bench/http-stamp-accuracy.ts. Written here, not vLLM's own code, which cannot be downloaded on
this machine. What it copies is where the clock is read:
  - all of a round's requests are created as asyncio tasks and gathered; each request's t0 is read
    when its task starts, before its aiohttp session is made and its connection opened;
  - each request gets its own ClientSession (so its own connection);
  - the body is read line by line (aiohttp's response.content), and a chunk is stamped after its
    line was read, stripped and its JSON parsed.
time.perf_counter_ns is CLOCK_MONOTONIC on Linux, the clock of Node's process.hrtime, so the
stamps compare with the scripted server's write log.

  python3 bench/vllm-style-client.py URL MODEL STREAMS TOKENS ROUNDS [PROMPT_LEN ID_LO ID_HI]
  (needs aiohttp: Debian's python3-aiohttp)

With PROMPT_LEN, every request gets its own prompt of that many token ids drawn from [ID_LO, ID_HI)
(vLLM's benchmark sends dataset prompts, so no prefix cache serves them); without, a fixed
32-token prompt.

Prints one JSON line per request: {"id", "t0_ns", "stamps_ns": [one per data event, [DONE]
excluded], "tokens": [tokens each event carried, by its logprobs or text], "timings": the server's
timings object (llama.cpp) or null, "prompt_tokens"}, then {"cpu_s", "wall_s"} of the whole run.
"""
import asyncio
import json
import random
import sys
import time

import aiohttp


def tokens_of(chunk: dict) -> int:
    choices = chunk.get("choices") or []
    if not choices:
        return 0
    c = choices[0]
    lp = c.get("logprobs") or {}
    if isinstance(lp, dict) and isinstance(lp.get("content"), list):
        return len(lp["content"])
    if isinstance(lp, dict) and isinstance(lp.get("tokens"), list):
        return len(lp["tokens"])
    text = c.get("text") or (c.get("delta") or {}).get("content") or ""
    return 1 if text else 0


async def one(url: str, body: dict) -> dict:
    t0 = time.perf_counter_ns()
    stamps = []
    tokens = []
    timings = None
    prompt_tokens = None
    rid = None
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
        async with session.post(url, json=body) as response:
            async for line in response.content:
                text = line.strip()
                if not text:
                    continue
                data = text.decode("utf-8").removeprefix("data: ")
                if data == "[DONE]":
                    continue
                chunk = json.loads(data)
                stamps.append(time.perf_counter_ns())
                rid = rid or chunk.get("id")
                tokens.append(tokens_of(chunk))
                timings = chunk.get("timings") or timings
                prompt_tokens = (chunk.get("usage") or {}).get("prompt_tokens", prompt_tokens)
    return {"id": rid, "t0_ns": str(t0), "stamps_ns": [str(s) for s in stamps], "tokens": tokens, "timings": timings, "prompt_tokens": prompt_tokens}


async def main() -> None:
    url, model, streams, tokens, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    prompt_len = int(sys.argv[6]) if len(sys.argv) > 6 else None
    lo, hi = (int(sys.argv[7]), int(sys.argv[8])) if len(sys.argv) > 8 else (100, 1000)
    rng = random.Random()
    body = {
        "model": model,
        "prompt": list(range(100, 132)),
        "max_tokens": tokens,
        "stream": True,
        "temperature": 0,
        "logprobs": 1,
        "ignore_eos": True,
        "min_tokens": tokens,
        "stream_options": {"include_usage": True, "continuous_usage_stats": True},
    }
    wall0 = time.perf_counter()
    for _ in range(rounds):
        bodies = [dict(body, prompt=[rng.randrange(lo, hi) for _ in range(prompt_len)]) if prompt_len else body for _ in range(streams)]
        tasks = [asyncio.create_task(one(f"{url}/completions", b)) for b in bodies]
        for result in await asyncio.gather(*tasks):
            print(json.dumps(result))
    print(json.dumps({"cpu_s": time.process_time(), "wall_s": time.perf_counter() - wall0}))


asyncio.run(main())
