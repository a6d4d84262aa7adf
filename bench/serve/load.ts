/**
 * Load benchmark of the OpenAI-compatible server: 32 concurrent streaming clients on loopback against the
 * scripted test double (a stand-in for a real model until the lead wires one in; it costs ~1 ms per token).
 *
 * Run: `npm run build && node dist/bench/serve/load.js [clients] [requestsPerClient] [tokenDelayMs]`.
 * Prints one JSON line: requests/s, tokens/s, p50/p95 latency, p95 time to first token, malformed count.
 */
import { serve } from "../../sdk/serve";
import { ScriptedModel } from "../../test/serve/scripted-model";
import { runLoad } from "./run-load";

async function main(): Promise<void> {
  const [clients = 32, requestsPerClient = 4, tokenDelayMs = 1] = process.argv.slice(2).map(Number);
  const model = new ScriptedModel({ tokenDelayMs, replyWords: [16, 32], contextLength: 4096 });
  const server = await serve({ model, port: 0 });
  try {
    const { samples, ...report } = await runLoad({
      baseURL: server.baseURL,
      model: model.id,
      clients,
      requestsPerClient,
    });
    const round = (x: number) => Math.round(x * 10) / 10;
    console.log(
      JSON.stringify({
        clients,
        requestsPerClient,
        tokenDelayMs,
        ...Object.fromEntries(Object.entries(report).map(([k, v]) => [k, round(v)])),
        maxActive: model.maxActive,
        samples: samples.length,
      }),
    );
  } finally {
    await server.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
