// Replays the session tests/test_proxy_e2e.py records, with the openai Node SDK, through
// the convitems proxy in replay mode. Usage: node replay.mjs BASE_URL  (e.g. http://127.0.0.1:8080/v1)
// Prints one JSON line with what came back; exits 1 with the error on stderr otherwise.
import OpenAI from "openai";

const baseURL = process.argv[2];
if (!baseURL) {
  console.error("usage: node replay.mjs BASE_URL");
  process.exit(2);
}
const client = new OpenAI({ baseURL, apiKey: "sk-convitems-FAKE-node-key", maxRetries: 0, timeout: 10000 });
const text = (role, t) => ({ type: "message", role, content: [{ type: "input_text", text: t }] });

try {
  const conv = await client.conversations.create({ items: [text("user", "hello from the session")] });
  const created = await client.conversations.items.create(conv.id, {
    items: [text("user", "first question"), text("assistant", "first answer")],
  });
  const page = await client.conversations.items.list(conv.id, { limit: 10, order: "asc" });
  const first = created.data[0].id;
  const item = await client.conversations.items.retrieve(first, { conversation_id: conv.id });
  const after = await client.conversations.items.delete(first, { conversation_id: conv.id });
  console.log(JSON.stringify({
    conversation: conv.id,
    created: created.data.map((i) => i.id),
    listed: page.data.map((i) => i.id),
    retrieved: item.id,
    deleted_from: after.id,
  }));
} catch (err) {
  console.error(`node replay failed: ${err?.status ?? ""} ${err?.message ?? err}`);
  process.exit(1);
}
