import {Flags} from '@oclif/core'

import {EbwsCommand} from '../../src/cli/base-command.ts'
import {resolveContext} from '../../src/cli/context.ts'
import {idleTimeoutFlag, regionProfileFlags} from '../../src/cli/flags.ts'
import {stateDirFlag} from '../../src/local/flags.ts'
import {copyEnvironmentLayout} from '../../src/local/from-environment.ts'
import {LAYOUT_MODES} from '../../src/listeners/modes.ts'
import {LOAD_BALANCER_TYPES, type LoadBalancerType} from '../../src/local/haproxy.ts'
import {localDownCommand, localUp, type LocalState} from '../../src/local/run.ts'

export default class LocalUp extends EbwsCommand {
  static override summary =
    'Run the sample app (or yours) behind a local HAProxy that behaves like the Classic, Application or Network Load Balancer.'
  static override description = [
    'Starts, on 127.0.0.1: the app, optionally nginx with the shipped .platform config, and HAProxy with the listeners of',
    'the chosen layout (SSL/TCP listeners in TCP mode, HTTP/HTTPS listeners adding X-Forwarded-* and dropping WebSocket',
    'upgrades, Proxy Protocol v1, the CLB idle timeout) and a self-signed certificate for localhost. They keep running',
    'until `ebws local down`. Needs HAProxy (and nginx for --nginx) installed.',
    '',
    '--lb application: port 80 answers 301 to https itself, 443 ends TLS and forwards HTTP with X-Forwarded-For/Proto/Port,',
    'WebSocket upgrades pass, --stickiness sets the AWSALB cookie. --lb network: TCP pass-through on 443 and 80, TLS ends on',
    "each instance (as Beanstalk's NLB requires), --mode proxy sends PROXY v2. With -e the type follows the environment.",
    '',
    '--instances N runs N sample-app processes, balanced round robin; --redis starts a real redis-server (state dir) and',
    'gives them REDIS_URL, so broadcasts reach every instance. `local status` lists every instance.',
  ].join('\n')
  static override examples = [
    {
      description: 'The demo: sample app behind an emulated CLB (SSL 443 -> TCP, HTTP 80 -> HTTP).',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'Proxy Protocol layout, through nginx with the shipped proxy-protocol config.',
      command: '<%= config.bin %> <%= command.id %> --mode proxy --nginx',
    },
    {
      description: 'Your own app, already listening on port 5000, in the HTTP/HTTPS layout.',
      command: '<%= config.bin %> <%= command.id %> --mode http --app external --app-port 5000',
    },
    {
      description: "Copy a real environment's listeners, Proxy Protocol ports and idle timeout (read-only on AWS).",
      command: '<%= config.bin %> <%= command.id %> -e my-env --region eu-west-1',
    },
    {
      description: 'Three instances sharing broadcasts through Redis, behind an emulated ALB with stickiness.',
      command: '<%= config.bin %> <%= command.id %> --lb application --instances 3 --redis --stickiness',
    },
    {
      description: 'A Network Load Balancer with Proxy Protocol v2.',
      command: '<%= config.bin %> <%= command.id %> --lb network --mode proxy',
    },
    {description: 'Machine-readable result.', command: '<%= config.bin %> <%= command.id %> --json'},
  ]
  static override flags = {
    mode: Flags.string({
      summary: 'Listener layout to emulate.',
      options: [...LAYOUT_MODES],
      default: 'websocket',
      exclusive: ['environment'],
    }),
    environment: Flags.string({
      char: 'e',
      summary:
        "Emulate this Beanstalk environment's load balancer listeners (read-only on AWS) instead of a --mode layout.",
      helpGroup: 'AWS',
    }),
    ...regionProfileFlags,
    'local-https-port': Flags.integer({
      summary: "Local port standing in for the load balancer's HTTPS port (443).",
      default: 8443,
      min: 1,
      max: 65_535,
    }),
    'local-http-port': Flags.integer({
      summary: "Local port standing in for the load balancer's HTTP port (80).",
      default: 8080,
      min: 1,
      max: 65_535,
    }),
    app: Flags.string({
      summary: 'Start the sample app, or use an app already listening on --app-port.',
      options: ['sample', 'external'],
      default: 'sample',
    }),
    'app-port': Flags.integer({summary: 'Port of the app on 127.0.0.1.', default: 3000, min: 1, max: 65_535}),
    nginx: Flags.boolean({
      summary: 'Put nginx with the shipped .platform/nginx config between HAProxy and the app.',
      default: false,
    }),
    'nginx-port': Flags.integer({
      summary: 'Local port standing in for instance port 80 when --nginx is set.',
      default: 8088,
      min: 1,
      max: 65_534,
    }),
    ...idleTimeoutFlag(
      "Load balancer idle timeout: seconds, or a duration such as 90s (default: the environment's with -e, else 60 s, the CLB default).",
    ),
    'allowed-hosts': Flags.string({
      summary: 'ALLOWED_HOSTS for the sample app (comma-separated).',
      default: 'localhost,127.0.0.1',
    }),
    lb: Flags.string({
      summary: "Load balancer type to emulate (default: the environment's with -e, else classic).",
      options: [...LOAD_BALANCER_TYPES],
    }),
    instances: Flags.integer({
      summary: 'Sample-app instances behind the load balancer (ports --app-port, +1, ...).',
      default: 1,
      min: 1,
      max: 16,
    }),
    stickiness: Flags.boolean({
      summary:
        "Load balancer cookie stickiness (CLB: HTTP/HTTPS listeners, AWSELB; ALB: AWSALB). Default: the environment's with -e.",
      allowNo: true,
    }),
    redis: Flags.boolean({
      summary: 'Start a local redis-server and set REDIS_URL for the instances (Socket.io Redis adapter).',
      default: false,
    }),
    'redis-port': Flags.integer({
      summary: 'Port of the local redis-server.',
      default: 6380,
      min: 1,
      max: 65_535,
      dependsOn: ['redis'],
    }),
    ...stateDirFlag,
  }

  async run(): Promise<LocalState> {
    const {flags} = await this.parse(LocalUp)
    const from = flags.environment
    const copied = from
      ? await copyEnvironmentLayout(
          (await resolveContext({environment: from, region: flags.region, profile: flags.profile})).clients,
          from,
        )
      : undefined
    const state = await localUp({
      mode: copied ? (copied.mode === 'none' ? 'websocket' : copied.mode) : (flags.mode as LocalState['mode']),
      loadBalancer: (flags.lb as LoadBalancerType | undefined) ?? copied?.loadBalancerType ?? 'classic',
      instances: flags.instances,
      stickiness: flags.stickiness ?? copied?.stickiness ?? false,
      redis: flags.redis,
      redisPort: flags['redis-port'],
      ...(copied ? {listeners: copied.listeners, proxyProtocolInstancePorts: copied.proxyProtocolInstancePorts} : {}),
      httpsPort: flags['local-https-port'],
      httpPort: flags['local-http-port'],
      app: flags.app as 'sample' | 'external',
      appPort: flags['app-port'],
      nginx: flags.nginx,
      nginxPort: flags['nginx-port'],
      idleTimeoutSeconds: flags['idle-timeout'] ?? copied?.idleTimeoutSeconds ?? 60,
      allowedHosts: flags['allowed-hosts']
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
      stateDir: flags['state-dir'],
    })
    this.log(
      `ebws local: ${copied ? `${copied.environmentName}'s listeners (${copied.loadBalancerName})` : `${state.mode} layout`} running (self-signed certificate: accept the browser warning).`,
    )
    this.log(`  Open   ${state.urls.https}`)
    this.log(
      `  Try    ${state.urls.http}  (${state.redirect.possible ? 'redirects to https' : 'cannot redirect'}: ${state.redirect.how})`,
    )
    const lbLabel = {classic: 'CLB', application: 'ALB', network: 'NLB'}[state.loadBalancer ?? 'classic']
    for (const l of state.listeners)
      this.log(`  ${lbLabel}    ${l.protocol}:${l.loadBalancerPort} -> ${l.instanceProtocol}:${l.instancePort}`)
    if (state.stickiness) this.log(`  Sticky cookie ${state.stickiness.cookie}`)
    if (state.redis) this.log(`  Redis  ${state.redis.url} (REDIS_URL of every instance)`)
    for (const p of state.processes) this.log(`  ${p.name.padEnd(7)} pid ${p.pid}, log ${p.log}`)
    for (const note of state.notes) this.log(`  Note   ${note}`)
    this.log(`  Stop   ${localDownCommand(flags['state-dir'])}`)
    return state
  }
}
