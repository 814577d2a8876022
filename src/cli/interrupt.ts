import {EbwsError} from './errors.ts'

/**
 * How an error is reported when ebws must exit at once, outside the command's own error handling (a second signal,
 * or deploy's first): the command registers its reporter (src/cli/base-command.ts: the --json envelope on stdout, or
 * the message on stderr), so such an exit prints exactly what any other error would, once.
 */
let reporter: (error: EbwsError) => void = (error) =>
  process.stderr.write(`Error (${error.code}): ${error.message}\n${error.hints.map((h) => `Hint: ${h}\n`).join('')}`)

export function setInterruptReporter(report: (error: EbwsError) => void): void {
  reporter = report
}

/** Reports `error` (INTERRUPTED) as the command reports errors, then exits at once with its exit code (130). */
export function exitInterrupted(error: EbwsError): never {
  try {
    reporter(error)
  } finally {
    process.exit(error.exitCode)
  }
}

/**
 * SIGINT/SIGTERM while a change is applied (a cancelled CI job sends SIGTERM, Ctrl-C sends SIGINT). Node's default
 * is to die at once, which can leave a load balancer with a port deleted and not yet re-created. While a guard is
 * active the first signal is only recorded (the change stops at its next safe point and rolls back); a second one
 * exits at once (code 130, ExitCode.Interrupted), reporting INTERRUPTED with `lastWords` (the command that finishes
 * the job by hand) as every error is reported: with --json one envelope on stdout, else the message on stderr.
 */
export interface SignalGuard {
  /** The first signal received, if any. */
  readonly signal: NodeJS.Signals | undefined
  /** Aborted on the first signal: hand it to waits so they stop early. */
  readonly abortSignal: AbortSignal
  /** Replaces what a second signal prints before exiting. */
  setLastWords(lines: () => string[]): void
  dispose(): void
}

export function guardSignals(o: {onFirst: (signal: NodeJS.Signals) => void; lastWords?: () => string[]}): SignalGuard {
  let first: NodeJS.Signals | undefined
  let lastWords = o.lastWords ?? (() => [])
  const controller = new AbortController()
  const handler = (signal: NodeJS.Signals) => {
    if (first === undefined) {
      first = signal
      o.onFirst(signal)
      controller.abort()
      return
    }
    const lines = lastWords()
    exitInterrupted(
      new EbwsError('INTERRUPTED', [`Received ${signal} again: exiting now, without finishing.`, ...lines].join('\n'), {
        details: {signal, finished: false},
      }),
    )
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return {
    get signal() {
      return first
    },
    abortSignal: controller.signal,
    setLastWords(lines) {
      lastWords = lines
    },
    dispose() {
      process.off('SIGINT', handler)
      process.off('SIGTERM', handler)
    },
  }
}
