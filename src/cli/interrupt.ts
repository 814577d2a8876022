import {ExitCode} from './exit-codes.ts'

/**
 * SIGINT/SIGTERM while a change is applied (a cancelled CI job sends SIGTERM, Ctrl-C sends SIGINT). Node's default
 * is to die at once, which can leave a load balancer with a port deleted and not yet re-created. While a guard is
 * active the first signal is only recorded (the change stops at its next safe point and rolls back); a second one
 * exits at once (code 130), after printing `lastWords` (the command that finishes the job by hand).
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
    process.stderr.write(
      `Received ${signal} again: exiting now, without finishing.\n${lines.map((l) => `${l}\n`).join('')}`,
    )
    process.exit(ExitCode.Interrupted)
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
