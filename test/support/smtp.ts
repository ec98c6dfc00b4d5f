import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

/**
 * A real SMTP server in the test process: what it accepts is parsed as a mail
 * client would. `fail` queues replies for the next messages' DATA (451: try
 * later, 550: refused), and `refuse` addresses it rejects at RCPT TO.
 */
export const MAX_SIZE = 10 * 1024 * 1024;

export async function startSmtp(options: { port?: number } = {}) {
  const received: ParsedMail[] = [];
  /** Each accepted message as it came over the wire. */
  const sources = new Map<ParsedMail, Buffer>();
  const failures: { code: number; text: string }[] = [];
  const refused = new Set<string>();
  let attempts = 0;
  const server = new SMTPServer({
    authOptional: true,
    // On loopback Steps may send in clear; the test has no certificate to offer.
    disabledCommands: ["STARTTLS"],
    logger: false,
    // Advertised in EHLO (RFC 1870); a larger message is refused with 552.
    size: MAX_SIZE,
    onRcptTo(address, _session, callback) {
      if (refused.has(address.address.toLowerCase())) return callback(Object.assign(new Error("5.1.1 No such user here"), { responseCode: 550 }));
      callback();
    },
    onData(stream, _session, callback) {
      attempts++;
      const failure = failures.shift();
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        if (failure) return callback(Object.assign(new Error(failure.text), { responseCode: failure.code }));
        const source = Buffer.concat(chunks);
        simpleParser(source).then(
          (mail) => {
            received.push(mail);
            sources.set(mail, source);
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    source: (mail: ParsedMail) => sources.get(mail)!,
    /** Every DATA the server answered, accepted or not. */
    get attempts() {
      return attempts;
    },
    fail(code: number, text = code >= 500 ? "5.7.1 Message refused" : "4.3.0 Try again later") {
      failures.push({ code, text });
    },
    refuse(address: string) {
      refused.add(address.toLowerCase());
    },
    /** Emails to an address, oldest first. */
    to: (address: string) => received.filter((m) => addressesOf(m).includes(address.toLowerCase())),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type Smtp = Awaited<ReturnType<typeof startSmtp>>;

function addressesOf(mail: ParsedMail): string[] {
  const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return to.flatMap((t) => t.value.map((v) => (v.address ?? "").toLowerCase()));
}
