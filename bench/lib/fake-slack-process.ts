import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startFakeSlack } from "../../test/support/fake-slack.ts";

// The fake Slack API for bench/slack.ts, in a process of its own: answering
// the app's API calls must not hold up the load generator's clock. A second
// port takes commands: POST /set (options), POST /clear, GET /counts.

const fake = await startFakeSlack();
const control = createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c));
  req.on("end", () => {
    if (req.url === "/set") fake.set(JSON.parse(body));
    if (req.url === "/clear") fake.clear();
    const replies = fake.of("response_url").map((c) => String(c.body.text));
    const notRecorded = replies.filter((t) => !t.startsWith("Recorded"));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        // Bench mentors are Slack users UM<n>, so their DM channels are DUM<n>.
        mentorDms: fake.calls.filter((c) => c.method === "chat.postMessage" && String(c.body.channel).startsWith("DUM")).length,
        replies: replies.length,
        notRecorded: notRecorded.length,
        example: notRecorded[0],
      }),
    );
  });
});
await new Promise<void>((r) => control.listen(0, "127.0.0.1", r));
console.log(JSON.stringify({ url: fake.url, apiUrl: fake.apiUrl, control: `http://127.0.0.1:${(control.address() as AddressInfo).port}` }));
process.stdin.resume();
process.stdin.on("end", () => void fake.close().then(() => process.exit(0)));
