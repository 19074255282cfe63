// Sends one request with the official openai client and prints the result as one JSON line.
// usage: node request.cjs models|completion|chat   (CHORUS_BASE_URL, CHORUS_API_KEY, CHORUS_REQUEST = the body)
// A streamed request prints {chunks: [...]}; an API error prints {error: {status, code, type, message}}.
const OpenAI = require('openai').default;

const client = new OpenAI({ baseURL: `${process.env.CHORUS_BASE_URL}/v1`, apiKey: process.env.CHORUS_API_KEY, maxRetries: 0, timeout: 60000 });
const kind = process.argv[2];
const body = JSON.parse(process.env.CHORUS_REQUEST || '{}');

async function run() {
  if (kind === 'models') {
    const models = [];
    for await (const m of client.models.list()) models.push({ id: m.id, owned_by: m.owned_by });
    return { models };
  }
  const api = kind === 'chat' ? client.chat.completions : client.completions;
  if (!body.stream) return await api.create(body);
  const chunks = [];
  for await (const chunk of await api.create(body)) chunks.push(chunk);
  return { chunks };
}

run().then(
  result => console.log(JSON.stringify(result)),
  e => {
    if (!(e instanceof OpenAI.APIError)) throw e;
    console.log(JSON.stringify({ error: { status: e.status ?? null, code: e.code ?? null, type: e.type ?? null, message: e.message } }));
  });
