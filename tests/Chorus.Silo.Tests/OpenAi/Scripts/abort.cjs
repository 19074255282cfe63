// Streams a chat completion, prints "streaming" after the second content chunk, waits for a line on stdin, then
// aborts the request (the client disconnects mid-stream) and prints {aborted: true, chunks}.
const OpenAI = require('openai').default;

const client = new OpenAI({ baseURL: `${process.env.CHORUS_BASE_URL}/v1`, apiKey: process.env.CHORUS_API_KEY, maxRetries: 0, timeout: 60000 });
const body = JSON.parse(process.env.CHORUS_REQUEST || '{}');

async function run() {
  const stream = await client.chat.completions.create({ ...body, stream: true });
  let chunks = 0;
  for await (const chunk of stream) {
    if (!chunk.choices[0]?.delta?.content) continue;
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
