// Streams the same greedy chat completion N times through the OpenAI-compatible API with the official openai client
// and reports, per run, the time to the first token and the client-side tokens/s, next to the session's own timings
// (chorus.timings of the final chunk) — the difference is what HTTP + SSE + JSON cost.
// usage: NODE_PATH=.cache/npm/openai-6.30.1/node_modules node bench/openai/http-stream.cjs [BASE_URL] [MODEL] [TOKENS] [RUNS]
const OpenAI = require('openai').default;

const [baseUrl = 'http://127.0.0.1:8080', model = 'domains', tokens = '64', runs = '5'] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: process.env.CHORUS_API_KEY ?? 'unused', maxRetries: 0 });

async function once() {
  const start = performance.now();
  let first = 0, count = 0, timings = null;
  const stream = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'ROMEO: What light through yonder window breaks?' }],
    max_tokens: Number(tokens), temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta?.content) { count++; if (!first) first = performance.now(); }
    if (chunk.chorus?.timings) timings = chunk.chorus.timings;
    if (chunk.usage) count = chunk.usage.completion_tokens;
  }
  const end = performance.now();
  const clientRate = (count - 1) / ((end - first) / 1000);
  const serverRate = count / ((timings.total_ms - timings.prefill_ms) / 1000);
  return { ttftMs: first - start, clientRate, serverRate, count, prefillMs: timings.prefill_ms, totalMs: timings.total_ms, wallMs: end - start };
}

(async () => {
  await once(); // warm-up: activations, first decode
  const results = [];
  for (let i = 0; i < Number(runs); i++) results.push(await once());
  console.log('run  tokens  first-token ms  client tok/s  session tok/s  session total ms  wall ms');
  results.forEach((r, i) => console.log(`${i + 1}    ${r.count}      ${r.ttftMs.toFixed(1).padStart(8)}      ${r.clientRate.toFixed(1).padStart(8)}     ${r.serverRate.toFixed(1).padStart(8)}      ${r.totalMs.toFixed(1).padStart(8)}      ${r.wallMs.toFixed(1)}`));
  const median = xs => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`median: first token ${median(results.map(r => r.ttftMs)).toFixed(1)} ms, client ${median(results.map(r => r.clientRate)).toFixed(1)} tok/s, session ${median(results.map(r => r.serverRate)).toFixed(1)} tok/s, wall − session total ${median(results.map(r => r.wallMs - r.totalMs)).toFixed(1)} ms`);
})();
