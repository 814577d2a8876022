// Proxy Protocol on a Network Load Balancer: the target group attribute proxy_protocol_v2.enabled of the target group
// serving the instance port. https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html#proxy-protocol
// The NLB sends a PROXY protocol v2 header (binary); nginx's `listen ... proxy_protocol` reads v1 and v2.
import type {AwsClients} from '../../aws/clients.ts'
import {badInput, EbwsError} from '../../cli/errors.ts'
import {checkDeployedApp} from '../../proxy-protocol/app-check.ts'
import {albCliCommand, executeAlbSteps} from '../application/apply.ts'
import {writeElbv2Snapshot} from '../application/fix.ts'
import type {Elbv2State, V2TargetGroup} from '../application/model.ts'
import type {AlbStep} from '../application/plan.ts'
import {refreshElbv2State} from '../application/read-state.ts'
import {observeElbv2} from '../application/show.ts'
import {defaultBackupPath, planned, runChange} from '../pipeline.ts'
import type {
  AppCheck,
  DetectedLoadBalancer,
  FirstRoundTrip,
  PortStatus,
  ProxyChangeOptions,
  ProxyChangeResult,
  StatusResult,
} from '../types.ts'

function portStatus(state: Elbv2State, tg: V2TargetGroup): PortStatus {
  const feeding = state.listeners
    .filter((l) => l.defaultActions.some((a) => a.targetGroupArn === tg.arn))
    .map((l) => `${l.protocol} ${l.port} -> ${tg.protocol ?? 'TCP'} ${tg.port ?? '?'}`)
  const enabled = tg.proxyProtocolV2 === true
  return {
    instancePort: tg.port ?? 0,
    enabled,
    proxyPolicies: enabled ? ['proxy_protocol_v2.enabled'] : [],
    otherPolicies: [],
    listeners: feeding,
    healthCheck: tg.healthCheck.protocol
      ? `${tg.healthCheck.protocol}${tg.healthCheck.path ? ` ${tg.healthCheck.path}` : ''}`
      : undefined,
    // No Beanstalk option setting carries it: what is live is what there is.
    configured: enabled,
    // An NLB listener is TCP/TLS: the PROXY header never meets an HTTP parser on the load balancer side.
    safe: true,
    problems: [],
  }
}

const mine = (state: Elbv2State) => state.targetGroups.filter((t) => t.process !== undefined)

export async function nlbProxyStatus(
  clients: AwsClients,
  input: {first: FirstRoundTrip; detected: DetectedLoadBalancer},
  o: {instancePort?: number | undefined; skipAppCheck?: boolean | undefined},
): Promise<StatusResult> {
  const observed = await observeElbv2(clients, input)
  const tgs = mine(observed.state).filter((t) => o.instancePort === undefined || t.port === o.instancePort)
  let appCheck: AppCheck | undefined
  if (!o.skipAppCheck) {
    appCheck = await checkDeployedApp(clients, input.first.environment, o.instancePort ?? 80).catch(
      (error: unknown) => ({ok: false, reason: `could not read the deployed bundle: ${(error as Error).message}`}),
    )
  }
  return {
    region: input.first.region,
    environment: input.first.environment.environmentName,
    loadBalancerName: observed.state.name,
    ports: tgs.map((t) => portStatus(observed.state, t)),
    appCheck,
  }
}

/** `proxy-protocol enable|disable` on an NLB: one target group attribute, checked, snapshotted, verified. */
export async function nlbProxyChange(
  clients: AwsClients,
  input: {first: FirstRoundTrip; detected: DetectedLoadBalancer},
  action: 'enable' | 'disable',
  o: ProxyChangeOptions,
): Promise<ProxyChangeResult> {
  const now = o.now ?? new Date()
  const say = o.progress ?? (() => {})
  const env = input.first.environment
  const observed = await observeElbv2(clients, input)
  const tg = mine(observed.state).find((t) => t.port === o.instancePort)
  if (!tg)
    throw badInput(
      'BAD_FLAG',
      `No target group of environment "${env.environmentName}" serves instance port ${o.instancePort}.`,
      [
        `Its target groups use port${mine(observed.state).length === 1 ? '' : 's'} ${
          mine(observed.state)
            .map((t) => t.port)
            .join(', ') || 'none'
        }; pass --instance-port.`,
      ],
    )
  if (o.healthCheckTcp)
    throw badInput(
      'BAD_FLAG',
      '--health-check applies to Classic Load Balancers: NLB health checks do not go through the PROXY header.',
    )
  const want = action === 'enable'
  const warnings = [
    'No Beanstalk option setting carries proxy_protocol_v2.enabled: ebws sets the target group attribute directly. Rebuilding the environment (or its target group) drops it; run this again afterwards.',
  ]
  const step: AlbStep = {
    id: `proxy-v2-${tg.port}`,
    description: `${want ? 'turn on' : 'turn off'} Proxy Protocol v2 on ${tg.name}`,
    op: {
      kind: 'target-group-attributes',
      targetGroupArn: tg.arn,
      attributes: {'proxy_protocol_v2.enabled': String(want)},
    },
  }
  const steps = (tg.proxyProtocolV2 === true) === want ? [] : [step]
  let appCheck: AppCheck | undefined
  const result = (status: ProxyChangeResult['status'], extra: Partial<ProxyChangeResult> = {}): ProxyChangeResult => ({
    action,
    status,
    region: input.first.region,
    environment: env.environmentName,
    loadBalancerName: observed.state.name,
    instancePort: o.instancePort,
    elbSteps: planned(
      steps.map((s) => ({...s, dependsOn: []})),
      (s) => albCliCommand(observed.state.arn, input.first.region, s.op),
    ),
    optionSettingsToUpdate: [],
    optionSettingsToRemove: [],
    appCheck,
    warnings,
    portAfter: portStatus(observed.state, tg),
    ...extra,
  })
  const outcome = await runChange(clients, {
    say,
    nothingToDo: steps.length === 0,
    check: async () => {
      if (!want || o.skipAppCheck) return
      appCheck = await checkDeployedApp(clients, env, o.instancePort)
      if (!appCheck.ok) {
        throw badInput(
          'UNSAFE_CHANGE',
          `The deployed app is not ready for Proxy Protocol, so nothing was changed: ${appCheck.reason}.`,
          [
            'Deploy an nginx config that listens with proxy_protocol first (it reads v2 too), then enable.',
            'Or pass --skip-app-check if the app reads the PROXY v2 header itself.',
          ],
          {appCheck},
        )
      }
    },
    dryRun: o.dryRun,
    confirm: o.confirm && (() => o.confirm!(result('dry-run'))),
    snapshot: () => {
      const backupFile = o.backupFile ?? defaultBackupPath(observed.state.name, now)
      writeElbv2Snapshot(backupFile, {
        kind: 'ebws-lb-snapshot',
        version: 1,
        loadBalancerType: 'network',
        takenAt: now.toISOString(),
        region: input.first.region,
        environmentName: env.environmentName,
        loadBalancerArn: observed.state.arn,
        state: observed.state,
        optionSettings: observed.settings,
      })
      say(`Saved the current target group attributes to ${backupFile}`)
      return backupFile
    },
    // No option setting carries the attribute: one live step, and nothing to roll back when it fails.
    stages: [
      {
        kind: 'live',
        steps: steps.length,
        run: () => executeAlbSteps(clients, observed.state.arn, steps, (s) => say(`✔ ${s.description}`)),
        failure: () => step.description,
      },
    ],
    onFailure: {kind: 'none'},
    verify: async (ctx) => {
      const after = await refreshElbv2State(clients, observed.state)
      const tgAfter = after.targetGroups.find((t) => t.arn === tg.arn)!
      if ((tgAfter.proxyProtocolV2 === true) !== want) {
        throw new EbwsError(
          'VERIFY_FAILED',
          `Proxy Protocol v2 on ${tg.name} is still ${want ? 'off' : 'on'} after the change.`,
          {
            hint: [`Inspect it with \`ebws proxy-protocol status -e ${env.environmentName}\`.`],
            details: {backupFile: ctx.backupFile},
          },
        )
      }
      return {unmet: [], value: portStatus(after, tgAfter)}
    },
  })
  if (outcome.status !== 'applied') return result(outcome.status as ProxyChangeResult['status'])
  return result('applied', {backupFile: outcome.backupFile, portAfter: outcome.verified!})
}
