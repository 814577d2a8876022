import {Command, Errors} from '@oclif/core'

import {asEbwsError, EbwsError, ErrorWithResult} from './errors.ts'
import type {ErrorJson} from './errors.ts'
import {exitCodeTable} from './exit-codes.ts'
import {setInterruptReporter} from './interrupt.ts'
import {debugFlag} from './flags.ts'
import {annotateError} from './progress.ts'

/** The one --json document every command prints (docs/cli-contract.md, schemas/envelope.json). */
export interface Envelope<R = unknown> {
  ok: boolean
  /** The command as typed: "listeners fix". */
  command: string
  result: R | null
  error: ErrorJson | null
}

/**
 * Base of every ebws command: the --json envelope, --debug, the exit-code table in --help, and the one place where
 * an error becomes a code, a message, hints on lines of their own, and an exit code (no stack unless --debug).
 */
export abstract class EbwsCommand extends Command {
  static override enableJsonFlag = true
  static override baseFlags = {...debugFlag}
  /** Printed by our help class as an EXIT CODES section. */
  static exitCodes: Record<string, string> = exitCodeTable

  protected get debugEnabled(): boolean {
    return this.argv.includes('--debug') || Boolean(process.env.EBWS_DEBUG)
  }

  /** "listeners fix", as the user typed it (oclif ids use ':'). */
  protected get commandName(): string {
    return (this.id ?? '').split(':').join(' ')
  }

  /** Piped JSON (CI, jq) is written as is; oclif's colourising tokenizer only runs for a terminal. */
  override logJson(json: unknown): void {
    if (process.stdout.isTTY) return super.logJson(json)
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  }

  override toSuccessJson<R>(result: R): Envelope<R> {
    return {ok: true, command: this.commandName, result, error: null}
  }

  /** How a partial result carried by an error is shown to people (deploy prints what it did); none by default. */
  protected formatPartialResult(_result: unknown): string | undefined {
    return undefined
  }

  protected override async catch(err: Error & {oclif?: {exit?: number}}): Promise<never> {
    if (err instanceof Errors.ExitError) throw err // this.exit(): not an error
    const error = toEbwsError(err)
    if (this.debugEnabled) process.stderr.write(`${err.stack ?? String(err)}\n`)
    this.reportError(error, err instanceof ErrorWithResult ? err.result : null)
    return this.exit(error.exitCode)
  }

  /** The one way an error is printed: with --json the envelope on stdout, else the partial result and the message. */
  private reportError(error: EbwsError, result: unknown): void {
    annotateError(error.message)
    if (this.jsonEnabled()) {
      const envelope: Envelope = {ok: false, command: this.commandName, result, error: error.toJSON()}
      this.logJson(envelope)
    } else {
      const partial = result === null ? undefined : this.formatPartialResult(result)
      if (partial) process.stdout.write(`${partial}\n`)
      process.stderr.write(formatErrorForPeople(error))
    }
  }

  /** An exit at once on a signal (src/cli/interrupt.ts) reports its error as catch() does: one envelope with --json. */
  override async init(): Promise<void> {
    await super.init()
    setInterruptReporter((error) => this.reportError(error, error instanceof ErrorWithResult ? error.result : null))
  }
}

/**
 * oclif wraps what a flag's parse function throws (ours, or its own `exists` check of Flags.file/directory) as
 * "Parsing --name \n\t<message>\nSee more help with --help", without an exit code.
 */
const FLAG_PARSE_ERROR = /^Parsing --([\w-]+) \n\t([\s\S]*?)\nSee more help with --help$/

/** oclif's own parse errors (unknown flag, missing value, bad option) carry exit 2: they are BAD_FLAG. */
function toEbwsError(err: Error & {oclif?: {exit?: number}}): EbwsError {
  const flagParse = FLAG_PARSE_ERROR.exec(err.message)
  if (flagParse) {
    const [, flag, message = ''] = flagParse
    if (err instanceof EbwsError)
      return new EbwsError(err.code, message, {hint: err.hints, cause: err.cause, details: err.details})
    const missing = /^No (file|directory) found at /.test(message)
    return new EbwsError(missing ? 'FILE_NOT_FOUND' : 'BAD_FLAG', `--${flag}: ${message}`, {
      hint: missing ? `Check the path given to --${flag}.` : 'See the flags with --help.',
      cause: err,
    })
  }
  if (err instanceof EbwsError) return err
  if (err.oclif?.exit === 2)
    return new EbwsError('BAD_FLAG', err.message.replace(/\n?See more help with --help\s*$/, ''), {
      hint: 'See the flags with --help.',
      cause: err,
    })
  return asEbwsError(err)
}

/**
 * `Error (CODE): message`, then each hint on a line of its own, unwrapped: a command or path in a hint must paste
 * as printed (oclif's error box wraps long lines, which breaks them).
 */
export function formatErrorForPeople(error: EbwsError): string {
  const lines = [`Error (${error.code}): ${error.message}`]
  for (const hint of error.hints) lines.push(...hint.split('\n').map((l, i) => (i === 0 ? `Hint: ${l}` : `      ${l}`)))
  return `${lines.join('\n')}\n`
}
