import {CommandHelp, Help} from '@oclif/core'
import type {Command} from '@oclif/core'

class EbwsCommandHelp extends CommandHelp {
  protected override sections(): ReturnType<CommandHelp['sections']> {
    const exitCodes = (this.command as Command.Cached & {exitCodes?: Record<string, string>}).exitCodes
    const sections = super.sections()
    if (!exitCodes) return sections
    return [
      ...sections,
      {
        header: 'EXIT CODES',
        generate: () =>
          Object.entries(exitCodes)
            .map(([code, meaning]) => `${code.padEnd(3)} ${meaning}`)
            .join('\n'),
      },
    ]
  }
}

/** oclif help with an EXIT CODES section for every command (the codes are a published contract). */
export default class EbwsHelp extends Help {
  protected override CommandHelpClass = EbwsCommandHelp
}
