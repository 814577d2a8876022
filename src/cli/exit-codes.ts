/**
 * Exit codes are part of the CLI's contract: scripts and CI branch on them, so a code never changes meaning once
 * published. Every command prints this table in its --help.
 */
export const ExitCode = {
  /** The command did what was asked (for `show`: the report was produced, whatever it found). */
  Ok: 0,
  /** The operation ran and failed (deploy failed, a change failed and was rolled back). */
  Failed: 1,
  /** Bad input: unknown flag or value, unknown environment, unsupported load balancer. Nothing was changed. */
  BadInput: 2,
  /** A bound was reached while waiting; the operation may still be running on AWS. */
  Timeout: 3,
  /** AWS could not be reached or refused us: credentials, permissions, region, endpoint. Nothing was changed. */
  AwsAccess: 4,
  /** A change failed and the automatic rollback failed too: manual action is needed (the steps are printed). */
  ManualActionNeeded: 5,
} as const

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export const exitCodeTable: Record<string, string> = {
  '0': 'success',
  '1': 'the operation failed (any change was rolled back)',
  '2': 'bad input; nothing was changed',
  '3': 'timed out waiting; the operation may still be running on AWS',
  '4': 'AWS access problem (credentials, permissions, region, endpoint); nothing was changed',
  '5': 'a change failed and its rollback failed: follow the printed restore steps',
}
