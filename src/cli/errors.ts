import {ExitCode} from './exit-codes.ts'

/** An error meant for the user: a message, what to do about it, and the exit code it maps to. */
export class EbwsError extends Error {
  readonly exitCode: ExitCode
  readonly suggestions: string[]
  /** Extra machine-readable detail for --json output. */
  readonly data: Record<string, unknown> | undefined

  constructor(
    message: string,
    options: {exitCode?: ExitCode; suggestions?: string[]; cause?: unknown; data?: Record<string, unknown>} = {},
  ) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'EbwsError'
    this.exitCode = options.exitCode ?? ExitCode.Failed
    this.suggestions = options.suggestions ?? []
    this.data = options.data
  }
}

export const badInput = (message: string, suggestions: string[] = [], data?: Record<string, unknown>): EbwsError =>
  new EbwsError(message, {exitCode: ExitCode.BadInput, suggestions, data})
