import type { Transport } from "../src/delivery/transport.ts";
import type { Values } from "../src/i18n.ts";
import { toPlainText } from "../src/messages.ts";

/** Prints what would be sent, so `steps as` shows the whole flow without a chat platform; its own words in the terminal's language. */
export function consoleTransport(write: (text: string) => void, say: (key: string, values?: Values) => string): Transport {
  let n = 0;
  return {
    platform: "console",
    reachesEveryone: true,
    async sendToPerson(person, _identity, message) {
      write(`\n→ ${say("cli.sent_to_person", { name: person.name, email: person.email })}\n${indent(toPlainText(message))}`);
      return { platform: "console", id: ++n };
    },
    async sendToChannel(channel, message) {
      write(`\n→ #${channel}\n${indent(toPlainText(message))}`);
      return { platform: "console", id: ++n };
    },
    async update(ref, message) {
      write(`\n→ ${say("cli.sent_update", { id: String(ref.id) })}\n${indent(toPlainText(message))}`);
    },
  };
}

function indent(text: string): string {
  return text.split("\n").map((l) => `  ${l}`).join("\n");
}
