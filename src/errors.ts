/**
 * Errors a person can do something about. Adapters turn them into a short
 * reply; anything that is not a StepsError is logged and answered generically.
 */
export type ErrorCode =
  | "bad_command"
  | "unknown_task"
  | "unknown_playlist"
  | "unknown_submission"
  | "not_on_roster"
  | "wrong_role"
  | "not_your_intern"
  | "own_work"
  | "already_pending"
  | "already_approved"
  | "already_decided"
  | "already_withdrawn"
  | "not_yours"
  | "evidence_required"
  | "bad_hours"
  | "not_hours_task"
  | "hours_task"
  | "reason_required"
  | "not_open_to_you"
  | "bad_program_file"
  | "bad_roster"
  | "unknown_badge"
  | "unknown_program"
  | "unavailable";

export class StepsError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Machine-readable extras, e.g. suggestions for an unknown task. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "StepsError";
  }
}

export function isStepsError(error: unknown): error is StepsError {
  return error instanceof StepsError;
}
