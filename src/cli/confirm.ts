import {createInterface} from 'node:readline/promises'

import {EbwsError} from './errors.ts'

/** Asks before the first write; resolves when the user agreed, throws CANCELLED otherwise. */
export type Confirm = (plan: string) => Promise<void>

/**
 * On a terminal, a mutating command prints its plan and asks before the first write, unless --yes; off a terminal
 * (CI, pipes) it applies without asking, as scripts expect (docs/cli-contract.md). The plan and the question go to
 * stderr, so --json output on stdout stays one document.
 */
/** The `confirm` option of a feature: asks with its plan rendered by the command's formatter. */
export function askFirst<P>(
  flags: {yes: boolean},
  render: (plan: P) => string,
): ((plan: P) => Promise<void>) | undefined {
  const confirm = confirmBeforeWriting(flags)
  return confirm && ((plan) => confirm(render(plan)))
}

export function confirmBeforeWriting(
  o: {yes: boolean},
  streams = {input: process.stdin, output: process.stderr},
): Confirm | undefined {
  if (o.yes || !streams.input.isTTY || !streams.output.isTTY) return undefined
  return async (plan) => {
    streams.output.write(`${plan}\n`)
    const rl = createInterface({input: streams.input, output: streams.output})
    try {
      const answer = (await rl.question('Apply these changes? [y/N] ')).trim().toLowerCase()
      if (answer === 'y' || answer === 'yes') return
    } finally {
      rl.close()
    }
    throw new EbwsError('CANCELLED', 'Not applied: the plan was declined at the prompt. Nothing was changed.', {
      hint: 'Pass --yes to apply without asking.',
    })
  }
}
