// Streams a chat completion (or, with the argument "completion", a completion), prints "streaming" after the second
// chunk with text, waits for a line on stdin, then aborts the request (the client disconnects mid-stream) and prints
// {aborted: true, chunks}.
const OpenAI = require('openai').default;

const client = new OpenAI({ baseURL: `${process.env.CHORUS_BASE_URL}/v1`, apiKey: process.env.CHORUS_API_KEY, maxRetries: 0, timeout: 60000 });
const body = JSON.parse(process.env.CHORUS_REQUEST || '{}');
const completion = process.argv[2] === 'completion';

async function run() {
  const api = completion ? client.completions : client.chat.completions;
  const stream = await api.create({ ...body, stream: true });
  let chunks = 0;
  for await (const chunk of stream) {
    const text = completion ? chunk.choices[0]?.text : chunk.choices[0]?.delta?.content;
    if (!text) continue;
    if (++chunks < 2) continue;
    console.log('streaming');
    await new Promise(resolve => process.stdin.once('data', resolve));
    process.stdin.pause();
    stream.controller.abort();
    return { aborted: true, chunks };
  }
  return { aborted: false, chunks };
}

run().then(result => console.log(JSON.stringify(result)));
