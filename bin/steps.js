#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so `steps` works from a fresh clone with no build step.
import { register } from "tsx/esm/api";

register();
await import("../app/cli.ts");
