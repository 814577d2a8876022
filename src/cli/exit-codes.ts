/**
 * Exit codes are part of the CLI's contract (docs/cli-contract.md): scripts and CI branch on them, so a code never
 * changes meaning once published. Every command prints this table in its --help; the README prints it too, and a
 * test checks both against this module.
 */
export const ExitCode = {
  /** The command did what was asked (for `show`: the report was produced, whatever it found). */
  Ok: 0,
  /** The operation ran and failed (deploy failed, a change failed and was rolled back, a doctor check failed). */
  Failed: 1,
  /** Bad input: a flag, argument, file or environment that cannot work. Nothing was changed. */
  BadInput: 2,
  /** A bound was reached while waiting; the operation may still be running on AWS. */
  Timeout: 3,
  /** AWS could not be reached or refused us: credentials, permissions, region, endpoint. Nothing was changed. */
  AwsAccess: 4,
  /** A change failed and the automatic rollback failed too: manual action is needed (the steps are printed). */
  ManualActionNeeded: 5,
  /** Waiting on something outside ebws (DNS records to create at another provider): run the command again later. */
  Pending: 6,
  /** A bug in ebws: an error it did not foresee. Rerun with --debug for the stack and report it. */
  Internal: 70,
  /**
   * Stopped by SIGINT/SIGTERM; any change in progress was rolled back (or the restore command was printed; deploy
   * says how far it got). Every way a command ends on a signal, the first or a second one exiting at once, reports
   * INTERRUPTED as any error: with --json exactly one envelope on stdout (src/cli/interrupt.ts exitInterrupted).
   */
  Interrupted: 130,
} as const

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** The table printed in every command's --help and in the README (a test keeps the README equal to it). */
export const exitCodeTable: Record<string, string> = {
  [ExitCode.Ok]: 'success',
  [ExitCode.Failed]: 'the operation failed (any change was rolled back)',
  [ExitCode.BadInput]: 'bad input; nothing was changed',
  [ExitCode.Timeout]: 'timed out waiting; the operation may still be running on AWS',
  [ExitCode.AwsAccess]: 'AWS access problem (credentials, permissions, region, endpoint); nothing was changed',
  [ExitCode.ManualActionNeeded]: 'a change failed and its rollback failed: follow the printed restore steps',
  [ExitCode.Pending]: 'pending on something outside ebws (e.g. DNS records at another provider): run it again later',
  [ExitCode.Internal]: 'a bug in ebws: rerun with --debug and report it',
  [ExitCode.Interrupted]: 'interrupted by a signal; any change in progress was rolled back',
}
