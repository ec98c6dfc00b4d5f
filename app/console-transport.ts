import type { Transport } from "../src/delivery/transport.ts";
import { toPlainText } from "../src/messages.ts";

/** Prints what would be sent, so `steps as` shows the whole flow without a chat platform. */
export function consoleTransport(write: (text: string) => void): Transport {
  let n = 0;
  return {
    platform: "console",
    reachesEveryone: true,
    async sendToPerson(person, _identity, message) {
      write(`\n→ direct message to ${person.name} <${person.email}>\n${indent(toPlainText(message))}`);
      return { platform: "console", id: ++n };
    },
    async sendToChannel(channel, message) {
      write(`\n→ #${channel}\n${indent(toPlainText(message))}`);
      return { platform: "console", id: ++n };
    },
    async update(ref, message) {
      write(`\n→ message ${String(ref.id)} updated\n${indent(toPlainText(message))}`);
    },
  };
}

function indent(text: string): string {
  return text.split("\n").map((l) => `  ${l}`).join("\n");
}
