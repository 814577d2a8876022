import {Args, Flags} from '@oclif/core'

import {EbwsCommand} from '../src/cli/base-command.ts'
import {resolveContext} from '../src/cli/context.ts'
import {badInput, EbwsError, ErrorWithResult} from '../src/cli/errors.ts'
import {durationFlag, layoutPortFlags, regionProfileFlags, environmentFlag} from '../src/cli/flags.ts'
import {
  environmentEndpoint,
  formatDoctor,
  runDoctor,
  targetFromLocal,
  targetFromUrl,
  type DoctorResult,
  type DoctorTarget,
} from '../src/doctor/index.ts'
import {stateDirFlag} from '../src/local/flags.ts'

export default class Doctor extends EbwsCommand {
  static override summary =
    'Probe an endpoint from the outside, as a browser would: DNS, the http:// redirect, TLS, HSTS, Socket.io over polling and WebSocket, and name the fix.'
  static override description = `Checks, each printed as ✔ pass, ! warning, ✘ failure or - skipped, with one line of evidence and the fix (an ebws command that runs as printed, or the config change):
  dns, redirect, tls, hsts, socketio-polling, socketio-websocket, stickiness (--sessions), mixed-content, idle-timeout (--idle-probe), proxy-protocol

On an ALB or NLB (known from -e, or from \`ebws local up --lb\` with --local) explanations and fixes are that load balancer's. The ALB's own port-80 redirect action keeps the Host it is sent (#{host}): a spoofed Host reflected by it (Server: awselb/2.0, https, same path and query) is a warning, since browsers only send Host names that resolve to the load balancer (the risk is a cache keyed without Host); the fix pins Host to the domain (aws elbv2 modify-listener, or the .ebextensions override). An app or nginx redirecting to any Host is a failure (open redirect).

All checks run concurrently (the idle probe too, for its duration); every network step is bounded, so a dead host fails in seconds. Read-only.`
  static override examples = [
    {description: 'Probe a domain', command: '<%= config.bin %> <%= command.id %> https://app.example.com/'},
    {
      description: "Probe an environment's CNAME, and check that DNS points at it",
      command: '<%= config.bin %> <%= command.id %> -e my-env',
    },
    {description: 'Probe what `ebws local up` runs', command: '<%= config.bin %> <%= command.id %> --local'},
    {
      description: 'Stickiness with 10 polling sessions, and a 65 s idle probe',
      command: '<%= config.bin %> <%= command.id %> https://app.example.com/ --sessions 10 --idle-probe 65s',
    },
    {
      description: 'A private CA and a redirect on another port',
      command: '<%= config.bin %> <%= command.id %> https://app.internal:8443/ --ca ca.pem --http-port 8080 --json',
    },
  ]
  static override args = {
    url: Args.string({
      description: "The address a browser would open (https:// assumed). Default: the environment's CNAME (-e).",
      required: false,
    }),
  }
  static override flags = {
    ...environmentFlag,
    ...regionProfileFlags,
    'http-port': layoutPortFlags['http-port'],
    ca: Flags.string({summary: 'Extra trusted CA certificate(s), PEM: for a private or local CA.'}),
    sessions: Flags.integer({
      summary: 'Run N Socket.io polling sessions to test stickiness across instances.',
      min: 1,
      max: 50,
    }),
    'idle-probe': durationFlag('s')({
      summary: 'Hold a silent WebSocket this long (e.g. 65s) to find the idle timeout; a bare number is seconds.',
    }),
    'health-path': Flags.string({
      summary:
        "Health check path that must answer 200 over http (default: the environment's, or /healthz with --local).",
    }),
    local: Flags.boolean({
      summary: 'Probe what `ebws local up` is running (its ports and certificate, from the state folder).',
      default: false,
      exclusive: ['environment'],
    }),
    ...stateDirFlag,
  }

  protected override formatPartialResult(result: unknown): string | undefined {
    return formatDoctor(result as DoctorResult)
  }

  async run(): Promise<DoctorResult> {
    const {args, flags, metadata} = await this.parse(Doctor)
    const input = {
      httpPort: metadata.flags['http-port']?.setFromDefault ? undefined : flags['http-port'],
      caFile: flags.ca,
      sessions: flags.sessions,
      idleProbeMs: flags['idle-probe'],
      healthPath: flags['health-path'],
    }
    let target: DoctorTarget
    if (flags.local) {
      if (args.url) throw badInput('BAD_FLAG', 'Give a URL or --local, not both.')
      target = targetFromLocal(flags['state-dir'], input)
    } else if (args.url && !flags.environment) {
      target = targetFromUrl(args.url, input)
    } else {
      const {target: env, clients} = await resolveContext(flags)
      const endpoint = await environmentEndpoint(clients, env.environmentName)
      const url = args.url ?? endpoint.cname
      if (!url) throw badInput('BAD_FLAG', `Environment "${endpoint.name}" has no CNAME: give the URL to probe.`)
      target = targetFromUrl(
        url,
        {...input, healthPath: input.healthPath ?? endpoint.healthPath},
        {
          environment: {name: endpoint.name, cname: endpoint.cname, endpoint: endpoint.endpoint},
          fixEnvironment: endpoint.name,
          loadBalancer: endpoint.loadBalancer,
        },
      )
    }
    const result = await runDoctor(target)
    const failed = result.checks.filter((c) => c.status === 'fail')
    if (failed.length > 0) {
      throw new ErrorWithResult(
        new EbwsError(
          'CHECK_FAILED',
          `${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.map((c) => c.id).join(', ')}.`,
          {hint: 'Each failed check above names its fix.'},
        ),
        result,
      )
    }
    this.log(formatDoctor(result))
    return result
  }
}
