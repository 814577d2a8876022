import {Args, Flags} from '@oclif/core'

import {EbwsCommand} from '../src/cli/base-command.ts'
import {bundleFlags, REDIRECT_OVERRIDE_HELP, SECRET_RULE_HELP} from '../src/bundle/flags.ts'
import {formatBundleResult, writeAppBundle} from '../src/bundle/command.ts'
import type {BundleCommandResult, BundleTarget} from '../src/bundle/command.ts'
import {resolveContext} from '../src/cli/context.ts'
import {awsFlags} from '../src/cli/flags.ts'
import type {LoadBalancerType} from '../src/lb/types.ts'

export default class Bundle extends EbwsCommand {
  static override summary = 'Write the zip that `ebws deploy` would upload, and list its entries.'
  static override description = `Bundles DIR (default: the current folder) exactly as \`ebws deploy DIR\` does: .ebignore or .gitignore rules, no .git/.elasticbeanstalk/root node_modules, a deterministic zip (same tree, same bytes) with Unix modes and executable platform hooks, validated (.ebextensions, size, entry point). Lists every entry with its size and mode, so CI can inspect what would ship.

The target, when you name it, shapes the bundle as \`ebws deploy\` would: --lb application (an ALB whose port 80 redirects, as \`ebws listeners fix\` leaves it), or -e ENV (read from AWS as deploy reads it; only when -e is given). ${REDIRECT_OVERRIDE_HELP} Without --lb or -e the bundle is the folder, nothing added.

${SECRET_RULE_HELP}`
  static override examples = [
    {description: 'Write and list the bundle', command: '<%= config.bin %> <%= command.id %> ./app --output app.zip'},
    {
      description: 'CI: the entries as JSON',
      command: '<%= config.bin %> <%= command.id %> --output build/app.zip --json',
    },
    {
      description: "For an ALB: ship the override that keeps port 80's redirect to HTTPS",
      command: '<%= config.bin %> <%= command.id %> --output app.zip --lb application',
    },
    {
      description: 'Shaped for an environment, read from AWS',
      command: '<%= config.bin %> <%= command.id %> --output app.zip -e my-env',
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
    lb: Flags.string({
      summary: 'The load balancer type the bundle is for (application: ship the ALB redirect override).',
      options: ['classic', 'application', 'network'],
      exclusive: ['environment'],
      helpGroup: 'TARGET',
    }),
    ...awsFlags,
  }

  async run(): Promise<BundleCommandResult> {
    const {args, flags} = await this.parse(Bundle)
    // -e only when given (no EBWS_ENVIRONMENT or eb CLI default): a plain `ebws bundle` makes no AWS call.
    const target: BundleTarget | undefined = flags.lb
      ? {lb: flags.lb as LoadBalancerType}
      : flags.environment
        ? await resolveContext(flags).then(({target, clients}) => ({environmentName: target.environmentName, clients}))
        : undefined
    const result = await writeAppBundle({
      target,
      redirectOverride: flags['redirect-override'],
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
