/** A Slack (Bolt / Web API) logger that says nothing: bench output is the figures. */
export const quietSlackLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => "error" as never,
  setName() {},
};
