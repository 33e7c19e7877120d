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

  python3 bench/vllm-style-client.py URL MODEL STREAMS TOKENS ROUNDS   (needs aiohttp: Debian's python3-aiohttp)

Prints one JSON line per request: {"id", "t0_ns", "stamps_ns": [one per data event, [DONE] excluded]},
then {"cpu_s", "wall_s"} of the whole run.
"""
import asyncio
import json
import sys
import time

import aiohttp


async def one(url: str, body: dict) -> dict:
    t0 = time.perf_counter_ns()
    stamps = []
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
    return {"id": rid, "t0_ns": str(t0), "stamps_ns": [str(s) for s in stamps]}


async def main() -> None:
    url, model, streams, tokens, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
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
        tasks = [asyncio.create_task(one(f"{url}/completions", body)) for _ in range(streams)]
        for result in await asyncio.gather(*tasks):
            print(json.dumps(result))
    print(json.dumps({"cpu_s": time.process_time(), "wall_s": time.perf_counter() - wall0}))


asyncio.run(main())
