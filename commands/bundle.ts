import {Args, Flags} from '@oclif/core'

import {EbwsCommand} from '../src/cli/base-command.ts'
import {bundleFlags, SECRET_RULE_HELP} from '../src/bundle/flags.ts'
import {formatBundleResult, writeAppBundle} from '../src/bundle/command.ts'
import type {BundleCommandResult} from '../src/bundle/command.ts'

export default class Bundle extends EbwsCommand {
  static override summary = 'Write the zip that `ebws deploy` would upload, and list its entries.'
  static override description = `Bundles DIR (default: the current folder) exactly as \`ebws deploy DIR\` does: .ebignore or .gitignore rules, no .git/.elasticbeanstalk/root node_modules, a deterministic zip (same tree, same bytes) with Unix modes and executable platform hooks, validated (.ebextensions, size, entry point). Lists every entry with its size and mode, so CI can inspect what would ship.

${SECRET_RULE_HELP}`
  static override examples = [
    {description: 'Write and list the bundle', command: '<%= config.bin %> <%= command.id %> ./app --output app.zip'},
    {
      description: 'CI: the entries as JSON',
      command: '<%= config.bin %> <%= command.id %> --output build/app.zip --json',
    },
    {
      description: 'Ship one secret on purpose',
      command: '<%= config.bin %> <%= command.id %> --output app.zip --allow-secret config/signing.key',
    },
  ]
  static override args = {
    dir: Args.string({description: 'App folder to bundle (default: the current folder).', required: false}),
  }
  static override flags = {
    output: Flags.string({char: 'o', summary: 'Where to write the zip.', required: true}),
    ...bundleFlags,
  }

  async run(): Promise<BundleCommandResult> {
    const {args, flags} = await this.parse(Bundle)
    const result = await writeAppBundle({
      dir: args.dir,
      output: flags.output,
      includeNodeModules: flags['include-node-modules'],
      symlinks: flags.symlinks as 'follow' | 'store',
      allowSecret: flags['allow-secret'],
      allowLinkOutside: flags['allow-link-outside'],
    })
    for (const n of result.notices) this.logToStderr(n)
    for (const w of result.warnings) this.logToStderr(`warning: ${w}`)
    this.log(formatBundleResult(result))
    return result
  }
}
