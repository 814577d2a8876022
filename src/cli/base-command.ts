import {Command} from '@oclif/core'

import {describeAwsError} from '../aws/errors.ts'
import {EbwsError} from './errors.ts'
import {ExitCode, exitCodeTable} from './exit-codes.ts'
import {debugFlag} from './flags.ts'

/**
 * Base of every ebws command: the --json flag, the --debug flag, the exit-code table in --help, and one place
 * where errors become a message, suggestions and a stable exit code (no stack trace unless --debug).
 */
export abstract class EbwsCommand extends Command {
  static override enableJsonFlag = true
  static override baseFlags = {...debugFlag}
  /** Printed by our help class as an EXIT CODES section. */
  static exitCodes: Record<string, string> = exitCodeTable

  protected get debugEnabled(): boolean {
    return this.argv.includes('--debug') || Boolean(process.env.EBWS_DEBUG)
  }

  /** Piped JSON (CI, jq) is written as is; oclif's colourising tokenizer only runs for a terminal. */
  override logJson(json: unknown): void {
    if (process.stdout.isTTY) return super.logJson(json)
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // oclif's own parse errors (unknown flag, missing value) already carry exit 2.
    if (err.oclif?.exit !== undefined && !(err instanceof EbwsError)) return super.catch(err)
    const error = err instanceof EbwsError ? err : describeAwsError(err, 'the AWS call')
    if (this.debugEnabled) this.logToStderr(err.stack ?? String(err))
    if (this.jsonEnabled()) {
      // --json: exactly one JSON document on stdout, also for errors.
      this.logJson({
        status: error.exitCode,
        error: {name: error.name, message: error.message, suggestions: error.suggestions, exitCode: error.exitCode, ...error.data},
      })
      this.exit(error.exitCode)
    }
    this.error(error.message, {exit: error.exitCode || ExitCode.Failed, suggestions: error.suggestions})
  }
}
