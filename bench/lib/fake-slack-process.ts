import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startFakeSlack } from "../../test/support/fake-slack.ts";

// The fake Slack API for bench/slack.ts, in a process of its own: answering
// the app's API calls must not hold up the load generator's clock. A second
// port takes commands: POST /set (options), POST /clear, and GET
// /wait?for=<n>, which answers once n mentor messages and n replies have
// arrived (or after 120 s): the bench waits on one request instead of asking
// every few milliseconds, which cost both processes CPU the app needs. GET
// /arrivals lists when each mentor message carrying a note `bench-n<N>`
// arrived, as [N, epoch ms] pairs, for end-to-end latency.

const fake = await startFakeSlack();

/** Counted as calls arrive, from where the last look stopped: never a scan of them all. */
let seen = { next: 0, mentorDms: 0, replies: 0, notRecorded: 0, example: undefined as string | undefined };
let arrivals: [number, number][] = [];
function counts() {
  for (; seen.next < fake.calls.length; seen.next++) {
    const c = fake.calls[seen.next]!;
    // Bench mentors are Slack users UM<n>, so their DM channels are DUM<n>.
    if (c.method === "chat.postMessage" && String(c.body.channel).startsWith("DUM")) {
      seen.mentorDms++;
      const n = /bench-n(\d+)/.exec(JSON.stringify(c.body))?.[1];
      if (n) arrivals.push([Number(n), c.at]);
    }
    if (c.method !== "response_url") continue;
    seen.replies++;
    const text = String(c.body.text);
    if (!text.startsWith("Recorded")) {
      seen.notRecorded++;
      seen.example ??= text;
    }
  }
  const { next: _, ...shown } = seen;
  return shown;
}

function arrived(n: number): Promise<ReturnType<typeof counts>> {
  const deadline = Date.now() + 120_000;
  return new Promise((resolve) => {
    const look = () => {
      const now = counts();
      if ((now.mentorDms >= n && now.replies >= n) || Date.now() > deadline) resolve(now);
      else setTimeout(look, 5);
    };
    look();
  });
}

const control = createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c));
  req.on("end", async () => {
    const url = new URL(req.url ?? "/", "http://fake");
    if (url.pathname === "/set") fake.set(JSON.parse(body));
    if (url.pathname === "/clear") {
      fake.clear();
      seen = { next: 0, mentorDms: 0, replies: 0, notRecorded: 0, example: undefined };
      arrivals = [];
    }
    const answer = url.pathname === "/wait" ? await arrived(Number(url.searchParams.get("for"))) : url.pathname === "/arrivals" ? (counts(), arrivals) : counts();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(answer));
  });
});
await new Promise<void>((r) => control.listen(0, "127.0.0.1", r));
console.log(JSON.stringify({ url: fake.url, apiUrl: fake.apiUrl, control: `http://127.0.0.1:${(control.address() as AddressInfo).port}` }));
process.stdin.resume();
process.stdin.on("end", () => void fake.close().then(() => process.exit(0)));
