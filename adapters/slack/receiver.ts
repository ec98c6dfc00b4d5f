import type { IncomingMessage, ServerResponse } from "node:http";
import { finished } from "node:stream/promises";
import { defaultBodyLimit, HTTPModuleFunctions as http, HTTPResponseAck, isRawBodyError, type App, type BufferedIncomingMessage, type Logger, type Receiver } from "@slack/bolt";
import { z } from "zod";
import { NotRecorded } from "./receive.ts";

/**
 * What Slack posts to the events URL, checked before Bolt reads it: Bolt takes
 * these fields on trust, and a signed body with one of the wrong type made it
 * throw where nothing caught it (the process died), answer 500, or never
 * answer. Bolt tells the three kinds apart in this order; what Steps does
 * with a well-formed one is receive.ts's business.
 */
const eventEnvelope = z.looseObject({ type: z.literal("event_callback"), event_id: z.string().min(1), event: z.looseObject({ type: z.string().min(1) }) });
const commandEnvelope = z.looseObject({ command: z.string().startsWith("/"), user_id: z.string().min(1) });
const interactionEnvelope = z.looseObject({ type: z.string().min(1), user: z.looseObject({ id: z.string().min(1) }) });
const challenge = z.object({ challenge: z.string() });

function wellFormed(body: Record<string, unknown>): boolean {
  const envelope = body.event !== undefined ? eventEnvelope : body.command !== undefined ? commandEnvelope : interactionEnvelope;
  return envelope.safeParse(body).success;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export interface ReceiverOptions {
  signingSecret: string;
  logger: Logger;
  /** Why Slack cannot take requests yet (the token is not checked), or undefined once it can. */
  notReady(): string | undefined;
}

/**
 * Bolt's HTTP receiver, with every step awaited inside Steps' own route:
 * Bolt's signature check, body parsing and ack, then App.processEvent. Every
 * request is answered at once: 401 unsigned, 413 too large (after reading it),
 * 400 malformed, 503 before Slack accepted the token, 404 when no listener
 * took it, else what the listener acked (Bolt acks every event itself: Slack
 * turns off an app whose events keep failing).
 */
export function slackReceiver(options: ReceiverOptions): Receiver & { handle(req: IncomingMessage, res: ServerResponse): Promise<void> } {
  const { logger } = options;
  let app: App | undefined;
  return {
    init: (a) => void (app = a),
    // Steps' server listens for Bolt.
    start: async () => {},
    stop: async () => {},

    async handle(req, res) {
      let request: BufferedIncomingMessage;
      try {
        request = await http.parseAndVerifyHTTPRequest({ signingSecret: options.signingSecret, logger, bodyLimit: defaultBodyLimit }, req);
      } catch (error) {
        if (isRawBodyError(error) && (error as { statusCode: number }).statusCode === 413) {
          // Read to the end first: a client still sending would see its connection reset instead of the answer.
          req.resume();
          await finished(req).catch(() => {});
          return http.buildNoBodyResponse(res, 413);
        }
        logger.warn(`request refused: ${error instanceof Error ? error.message : String(error)}`);
        return http.buildNoBodyResponse(res, 401);
      }
      let body: unknown;
      try {
        body = http.parseHTTPRequestBody(request);
      } catch {
        return http.buildNoBodyResponse(res, 400);
      }
      if (!isRecord(body)) return http.buildNoBodyResponse(res, 400);
      if (body.ssl_check === "1") return http.buildSSLCheckResponse(res);
      // Slack checks the URL with the signing secret alone, so this works before the token does.
      if (body.type === "url_verification") {
        const parsed = challenge.safeParse(body);
        return parsed.success ? http.buildUrlVerificationResponse(res, parsed.data) : http.buildNoBodyResponse(res, 400);
      }
      const notReady = options.notReady();
      if (notReady) {
        // Slack sends events again later; a person sees that the command failed rather than nothing.
        res.writeHead(503, { "content-type": "text/plain", "retry-after": "60" }).end(`Steps is not connected to Slack yet: ${notReady}`);
        return;
      }
      if (!wellFormed(body)) return http.buildNoBodyResponse(res, 400);

      const ack = new HTTPResponseAck({ logger, processBeforeResponse: false, httpRequest: request, httpRequestBody: body, httpResponse: res });
      const respond = ack.bind();
      let acked = false;
      try {
        await app!.processEvent({
          body,
          ack: (response) => {
            acked = true;
            return respond(response);
          },
          retryNum: http.extractRetryNumFromHTTPRequest(req),
          retryReason: http.extractRetryReasonFromHTTPRequest(req),
        });
      } catch (error) {
        // A request that could not be recorded is ours to retry (500); anything else is a body nothing could read (400).
        if (res.headersSent) throw error;
        ack.ack();
        if (error instanceof NotRecorded) return http.buildNoBodyResponse(res, 500);
        logger.warn(`request refused: ${error instanceof Error ? error.message : String(error)}`);
        return http.buildNoBodyResponse(res, 400);
      }
      if (!acked) {
        // Nothing listens for it (another command, an unknown button): say so now rather than after Bolt's 3 s.
        ack.ack();
        if (!res.headersSent) http.buildNoBodyResponse(res, 404);
      }
    },
  };
}
