import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import type { z } from "zod";
import { checkTexts, inEnglish, loadCatalogs, type Catalogs, type Say, type Values } from "../i18n.ts";
import { programFileSchema, type ProgramFile } from "./schema.ts";

/** One mistake in a program file, located so a coordinator can jump to it. */
export interface ProgramFileError {
  /** 1-based; null when the mistake is not in the text (e.g. the file is missing). */
  line: number | null;
  /** Where in the file, e.g. `playlists[2].tasks[0].slug`; empty for the file as a whole. */
  path: string;
  message: string;
}

export type ProgramFileResult = { ok: true; file: ProgramFile } | { ok: false; errors: ProgramFileError[] };

type Segment = string | number;

/**
 * `catalogs`: what the file's own `texts` are checked against (the catalogs that ship, unless a test brings its own).
 * `say`: the words of the coordinator reading the errors (the terminal's language at the command line).
 */
export function parseProgramFile(text: string, fileName: string, catalogs: Catalogs = loadCatalogs(), say: Say = inEnglish()): ProgramFileResult {
  const lineCounter = new LineCounter();
  // uniqueKeys: a repeated key would otherwise silently replace the first one.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;

  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => ({ line: lineAt(e.pos[0]), path: "", message: firstLine(e.message) })) };
  }
  if (doc.contents === null) {
    return { ok: false, errors: [{ line: null, path: "", message: say("program_file.empty", { file: fileName }) }] };
  }

  const parsed = programFileSchema.safeParse(doc.toJS());
  if (parsed.success) {
    // Overrides are checked against the catalogs here, where the file is read, so a bad one stops start-up and `config check` lists it.
    const problems = checkTexts(parsed.data.texts, catalogs, say).map(({ path, message }) => {
      const at = locate(doc, ["texts", ...path]);
      return { line: at.offset === null ? null : lineAt(at.offset), path: formatPath(["texts", ...path]), message };
    });
    return problems.length ? { ok: false, errors: problems } : { ok: true, file: parsed.data };
  }

  const errors = parsed.error.issues.flatMap((issue) => toErrors(issue, doc, lineAt, say));
  // Stable sort: issues on one line keep zod's order.
  errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { ok: false, errors };
}

export async function loadProgramFile(path: string, say: Say = inEnglish()): Promise<ProgramFileResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === "ENOENT" ? say("program_file.missing", { path }) : say("program_file.unreadable", { path, reason: code ?? String(error) });
    return { ok: false, errors: [{ line: null, path: "", message }] };
  }
  return parseProgramFile(text, basename(path), loadCatalogs(), say);
}

/** One line per error, `file:line path: message`, the shape editors and CI logs link. */
export function formatProgramErrors(fileName: string, errors: readonly ProgramFileError[]): string {
  return errors
    .map((e) => `${fileName}${e.line === null ? "" : `:${e.line}`} ${e.path ? `${e.path}: ` : ""}${e.message}`)
    .join("\n");
}

function toErrors(issue: z.core.$ZodIssue, doc: Document, lineAt: (offset: number) => number, say: Say): ProgramFileError[] {
  const path = issue.path.filter((s): s is Segment => typeof s !== "symbol");
  if (issue.code === "unrecognized_keys") {
    // One error per key, on the key's own line, so each can be found and removed.
    return issue.keys.map((key) => {
      const at = locate(doc, [...path, key]);
      return { line: at.offset === null ? null : lineAt(at.offset), path: formatPath([...path, key]), message: say("program_file.unknown_key", { key }) };
    });
  }
  const at = locate(doc, path);
  const missing = at.depth < path.length;
  const field = path[path.length - 1];
  const message =
    // A text that may be translated is a union: missing, it fails as one.
    missing && (issue.code === "invalid_type" || issue.code === "invalid_union") && path.length === at.depth + 1 && typeof field === "string"
      ? say("program_file.missing_field", { field })
      : issueMessage(issue, say);
  return [{ line: at.offset === null ? null : lineAt(at.offset), path: formatPath(path), message }];
}

/** The schema's own messages are catalog keys (with params for the values they name); zod's generic ones stay as zod writes them. */
export function issueMessage(issue: z.core.$ZodIssue, say: Say): string {
  return issue.message.startsWith("program_file.") ? say(issue.message, (issue as { params?: Values }).params) : issue.message;
}

/**
 * The offset where the deepest existing node on `path` is named: a map entry's
 * key, or a sequence item's start. `depth` says how many segments were found.
 */
function locate(doc: Document, path: readonly Segment[]): { offset: number | null; depth: number } {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  let depth = 0;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let at: number | null = null;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair) {
        next = pair.value;
        at = rangeStart(pair.key) ?? rangeStart(pair.value);
      }
    } else if (isSeq(node) && typeof segment === "number") {
      next = node.items[segment];
      at = rangeStart(next);
    }
    if (at === null) break;
    node = next;
    offset = at;
    depth += 1;
  }
  return { offset, depth };
}

function rangeStart(node: unknown): number | null {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : null;
}

function formatPath(path: readonly Segment[]): string {
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}
