import type {Command, Hook} from '@oclif/core'
import {Errors, toConfiguredId} from '@oclif/core'
import notFound from '@oclif/plugin-not-found'
import levenshtein from 'fast-levenshtein'

import {formatErrorForPeople, type Envelope} from './base-command.ts'
import {EbwsError} from './errors.ts'

/**
 * oclif's own plugins (help, version, autocomplete, not-found) are bundled into the CLI (scripts/build-cli.ts) rather
 * than installed: their commands join COMMANDS and the not-found hook is package.json's oclif.hooks entry. This
 * module adapts them to the CLI contract (docs/cli-contract.md): --json prints the envelope, a mistyped command is
 * COMMAND_NOT_FOUND (exit 2).
 */

/** A plugin command whose --json document is the envelope, e.g. `ebws version --json` (and a summary for `ebws help`). */
export function withEnvelope<C extends Command.Class>(Base: C, command: string, summary?: string): C {
  const Wrapped = class extends (Base as unknown as new (...args: never[]) => Command & {run(): Promise<unknown>}) {
    static summary = summary ?? Base.summary
    override toSuccessJson(result: unknown): Envelope {
      return {ok: true, command, result, error: null}
    }
  }
  return Wrapped as unknown as C
}

/**
 * The command id closest to what was typed (edit distance, as the plugin's prompt uses), and how many of the typed
 * words it stands for: `listners show -e x` is ["listners", "show"], closest to `listeners:show` with 2 words.
 */
export function closestCommand(words: string[], ids: string[]): {id: string; words: number} | undefined {
  return ids
    .map((id) => {
      const n = id.split(':').length
      return {id, words: Math.min(n, words.length), distance: levenshtein.get(words.slice(0, n).join(':'), id)}
    })
    .sort((a, b) => a.distance - b.distance)[0]
}

/**
 * command_not_found: on a terminal (and without --json) @oclif/plugin-not-found asks "Did you mean …?" and runs the
 * suggestion when confirmed. Otherwise (CI, scripts, --json) there is nobody to ask: the error is COMMAND_NOT_FOUND
 * with the suggestion as its hint, as an envelope with --json.
 */
export const commandNotFound: Hook.CommandNotFound = async function (opts) {
  const argv = opts.argv ?? []
  const json = argv.includes('--json')
  const firstFlag = argv.findIndex((a) => a.startsWith('-'))
  const words = [...opts.id.split(':'), ...(firstFlag === -1 ? argv : argv.slice(0, firstFlag))]
  const ids = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const closest = closestCommand(words, ids)
  const typed = words.slice(0, closest?.words ?? 1).join(' ')
  const suggestion = closest && toConfiguredId(closest.id, opts.config)
  const bin = opts.config.bin
  if (!json && process.stdin.isTTY && process.stderr.isTTY) {
    try {
      return await notFound.call(this, opts)
    } catch (err) {
      // The suggestion ran and exited: its exit code stands.
      if (err instanceof Errors.ExitError) throw err
      // Declined (or no answer in 10 s): the plugin throws "Run ebws help …" with exit 127; ours is 2.
      const error = new EbwsError('COMMAND_NOT_FOUND', (err as Error).message)
      process.stderr.write(formatErrorForPeople(error))
      return this.exit(error.exitCode)
    }
  }
  const hint = [
    ...(suggestion ? [`Did you mean: ${bin} ${suggestion}`] : []),
    `Run ${bin} help for the list of commands.`,
  ]
  const error = new EbwsError('COMMAND_NOT_FOUND', `${typed} is not an ${bin} command.`, {
    hint,
    details: suggestion ? {suggestion} : undefined,
  })
  if (json) {
    const envelope: Envelope = {ok: false, command: typed, result: null, error: error.toJSON()}
    process.stdout.write(`${JSON.stringify(envelope, null, 2)}\n`)
  } else {
    process.stderr.write(formatErrorForPeople(error))
  }
  return this.exit(error.exitCode)
}
