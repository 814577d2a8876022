import {Args, Flags} from '@oclif/core'

import {EbwsCommand} from '../src/cli/base-command.ts'
import {resolveContext} from '../src/cli/context.ts'
import {askFirst} from '../src/cli/confirm.ts'
import {badInput} from '../src/cli/errors.ts'
import {exitCodeTable} from '../src/cli/exit-codes.ts'
import {awsFlags, durationFlag, mutatingFlags, waitFlags} from '../src/cli/flags.ts'
import {createProgress} from '../src/cli/progress.ts'
import {formatDeployResult} from '../src/deploy/format.ts'
import type {DeployResult} from '../src/deploy/run.ts'
import {deploy} from '../src/deploy/run.ts'
import {MAX_BUNDLE_BYTES} from '../src/bundle/index.ts'
import {bundleFlags, REDIRECT_OVERRIDE_HELP, SECRET_RULE_HELP} from '../src/bundle/flags.ts'

export default class Deploy extends EbwsCommand {
  static override summary =
    'Bundle the app, upload it as a new application version, deploy it, and give a verdict CI can trust.'
  static override description = `Bundles DIR (default: the current folder; .ebignore or .gitignore rules, no .git/.elasticbeanstalk/node_modules) into a deterministic zip with Unix modes and executable platform hooks, validates it (.ebextensions, size, entry point), uploads it to s3://<bucket>/<app>/<label>.zip and creates the application version (Process=true, waits for Processed), waits for the environment to be Ready, deploys with UpdateEnvironment and follows the environment's events.

The verdict comes from the environment's state, not from event wording: success is Status Ready on the new version with health Green (or Yellow with --accept-yellow) within --health-grace; any ERROR/FATAL event of the update, a rolled-back version label, health Red, or no Green within the grace is a failure. --timeout bounds the whole run.

The bundle's content hash is stored in the version's description: deploying the same tree again reuses the existing version (nothing is uploaded), and when the environment already runs that content, Ready and Green, nothing is deployed (no UpdateEnvironment); a --label that exists with different content is refused before anything is uploaded. \`ebws bundle DIR --output FILE\` writes the same zip without deploying it.

The default label is <git short sha>-<UTC timestamp> in a git repository (else <content hash>-<UTC timestamp>). The bundle is the working tree, not the last commit: when a bundled file differs from HEAD (modified, staged, untracked, or deleted), the label and the description say <sha>-dirty, so a label never names a commit whose content was not deployed.

The load balancer's type (classic, application, shared application, network) is detected as \`ebws listeners show\` detects it, in the same round trips as the environment and its versions. ${REDIRECT_OVERRIDE_HELP} The --json result says which in loadBalancer.redirectOverride (in-bundle, added, missing, not-needed, unknown), and the warning is in warnings.

${SECRET_RULE_HELP}`
  static override examples = [
    {description: 'Deploy the current folder', command: '<%= config.bin %> <%= command.id %> -e my-env'},
    {
      description: 'CI: a named version, JSON result, 15-minute bound',
      command: '<%= config.bin %> <%= command.id %> ./app -e my-env --label "v1.4.2" --timeout 15m --json',
    },
    {description: 'A prebuilt zip', command: '<%= config.bin %> <%= command.id %> -e my-env --archive build/app.zip'},
    {
      description: 'Check the bundle and show the plan, upload nothing',
      command: '<%= config.bin %> <%= command.id %> -e my-env --dry-run',
    },
  ]
  static override exitCodes: Record<string, string> = {
    ...exitCodeTable,
    '0': 'deployed: Ready on the new version, health Green (or Yellow with --accept-yellow)',
    '1': 'the deploy failed (ERROR event, version rolled back, health Red or not Green within --health-grace, version processing failed)',
    '2': 'bad input (invalid bundle, unknown environment, label clash, not Ready with --no-wait); nothing was uploaded or deployed',
    '3': 'the --timeout was reached; the deployment may still be running on AWS',
  }
  static override args = {
    dir: Args.string({description: 'App folder to bundle (default: the current folder).', required: false}),
  }
  static override flags = {
    ...awsFlags,
    ...mutatingFlags,
    ...waitFlags,
    archive: Flags.string({
      summary: 'Deploy this prebuilt zip instead of bundling a folder (it is checked the same way).',
      helpGroup: 'BUNDLE',
      exclusive: ['include-node-modules', 'symlinks'],
    }),
    ...bundleFlags,
    label: Flags.string({
      summary: 'Version label (default: <git short sha or content hash>-<UTC timestamp>).',
      helpGroup: 'VERSION',
    }),
    bucket: Flags.string({
      summary: 'S3 bucket for the bundle (default: the Elastic Beanstalk bucket from CreateStorageLocation).',
      helpGroup: 'VERSION',
    }),
    'health-grace': durationFlag('s')({
      summary: 'Seconds (or 2m, ...) to wait for health Green once Ready on the new version.',
      default: 60_000,
      helpGroup: 'VERDICT',
      defaultHelp: async () => '60s',
    }),
    'accept-yellow': Flags.boolean({summary: 'Count health Yellow as success.', default: false, helpGroup: 'VERDICT'}),
  }

  async run(): Promise<DeployResult> {
    const {args, flags} = await this.parse(Deploy)
    const {dir} = args
    if (dir && flags.archive) throw badInput('BAD_FLAG', 'Give an app folder or --archive, not both.')
    const {target, clients} = await resolveContext(flags)
    const say = createProgress()
    const result = await deploy(clients, {
      environmentName: target.environmentName,
      region: target.region,
      dir,
      archive: flags.archive,
      label: flags.label,
      bucket: flags.bucket,
      includeNodeModules: flags['include-node-modules'],
      symlinks: flags.symlinks as 'follow' | 'store',
      allowSecret: flags['allow-secret'],
      allowLinkOutside: flags['allow-link-outside'],
      redirectOverride: flags['redirect-override'],
      waitReady: flags.wait,
      timeoutMs: flags.timeout,
      healthGraceMs: flags['health-grace'],
      acceptYellow: flags['accept-yellow'],
      dryRun: flags['dry-run'],
      maxBundleBytes: maxBundleBytesFromEnv(),
      say,
      confirm: askFirst(flags, (plan: DeployResult) => formatDeployResult(plan, {asking: true})),
    })
    this.log(formatDeployResult(result))
    return result
  }

  protected override formatPartialResult(result: unknown): string {
    return formatDeployResult(result as DeployResult)
  }
}

/**
 * EBWS_MAX_BUNDLE_BYTES lowers the bundle size limit: a test hook (the bench cannot upload 512 MB), also usable to
 * keep bundles small on purpose. It can only lower the limit.
 */
function maxBundleBytesFromEnv(): number | undefined {
  const raw = process.env.EBWS_MAX_BUNDLE_BYTES
  if (!raw) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n <= 0)
    throw badInput('BAD_FLAG', `EBWS_MAX_BUNDLE_BYTES=${raw} is not a positive whole number of bytes.`)
  return Math.min(n, MAX_BUNDLE_BYTES)
}
