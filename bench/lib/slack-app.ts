import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { App, HTTPReceiver } from "@slack/bolt";
import slackAdapter from "../../adapters/slack/index.ts";
import { boot } from "../../app/boot.ts";
import { startServer } from "../../app/server.ts";
import { readEnv } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { quietSlackLogger } from "./quiet-logger.ts";

// The app under test for bench/slack.ts, in a process of its own so that the
// load generator and the fake Slack API do not share its event loop, as
// Slack's servers do not share a real deployment's. Prints its URL, then
// serves until stdin closes.

const mode = process.argv[2];

let close: () => Promise<void>;
if (mode === "bare") {
  // The baseline: Bolt's own receiver answering the same signed command with a fixed text.
  const receiver = new HTTPReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET!, endpoints: "/slack/events", logger: quietSlackLogger });
  const app = new App({ token: process.env.SLACK_BOT_TOKEN!, receiver, clientOptions: { slackApiUrl: process.env.SLACK_API_URL }, logger: quietSlackLogger });
  app.command("/steps", async ({ ack }) => ack("Recorded."));
  const server = createServer(receiver.requestListener);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events` }));
  close = () => new Promise((r) => server.close(() => r()));
} else {
  // Warnings and errors reach the bench's stderr: a failed delivery is worth seeing.
  const env = readEnv(process.env);
  const log = createLogger("warn");
  const steps = await boot(env, log);
  const server = await startServer(steps, [slackAdapter], { port: 0, host: "127.0.0.1" });
  console.log(JSON.stringify({ url: `${server.url}/slack/events` }));
  close = async () => {
    await server.close();
    await steps.close();
  };
}
process.stdin.resume();
process.stdin.on("end", () => void close().then(() => process.exit(0)));
