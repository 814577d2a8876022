// `proxy-protocol status|enable|disable` on a Classic Load Balancer: the backend-server policy of an instance port
// (src/proxy-protocol/plan.ts plans it, pure) and its aws:elb:policies option settings, through the change pipeline.
import type {AwsClients} from '../../aws/clients.ts'
import {badInput} from '../../cli/errors.ts'
import {validateOptionSettings} from '../../environment/update.ts'
import {isReady} from '../../environment/wait.ts'
import {awsCliCommand} from '../../elb/apply-plan.ts'
import {observeEnvironment} from '../../listeners/inspect.ts'
import {checkDeployedApp} from '../../proxy-protocol/app-check.ts'
import type {SettingsChange} from '../../proxy-protocol/plan.ts'
import {
  blockers,
  planDisable,
  planEnable,
  proxyProtocolStatus,
  settingsForDisable,
  settingsForEnable,
  unmetProxy,
} from '../../proxy-protocol/plan.ts'
import {detectLoadBalancer} from '../detect.ts'
import {firstRoundTrip} from '../first-round-trip.ts'
import {planned} from '../pipeline.ts'
import type {
  AppCheck,
  DetectedLoadBalancer,
  FirstRoundTrip,
  ProxyChangeOptions,
  ProxyChangeResult,
  StatusResult,
} from '../types.ts'
import {changeClb, ensureReady} from './change.ts'

/** `proxy-protocol status`: per instance port, live and configured, with the safety verdict; the deployed bundle's nginx. */
export async function clbProxyStatus(
  clients: AwsClients,
  input: {first: FirstRoundTrip; detected: DetectedLoadBalancer},
  o: {instancePort?: number | undefined; skipAppCheck?: boolean | undefined},
): Promise<StatusResult> {
  const {first} = input
  const observed = await observeEnvironment(clients, first.environment.environmentName, {first})
  const ports = proxyProtocolStatus(observed.state, observed.configured, o.instancePort)
  let appCheck: AppCheck | undefined
  if (!o.skipAppCheck) {
    // A report goes on without it: an unreadable bundle is a finding, not a failure.
    appCheck = await checkDeployedApp(clients, observed.environment, o.instancePort ?? 80).catch((error: unknown) => ({
      ok: false,
      reason: `could not read the deployed bundle: ${(error as Error).message}`,
    }))
  }
  return {
    region: observed.region,
    environment: observed.environment.environmentName,
    loadBalancerName: observed.loadBalancerName,
    ports,
    appCheck,
  }
}

/**
 * `proxy-protocol enable|disable` on a CLB, in the shape of `listeners fix`: read (two round trips), safety checks
 * (zero writes on failure), plan (pure), validate the option settings, then - unless dry-run - the change pipeline:
 * snapshot, apply to the CLB, roll back on failure, write the settings through UpdateEnvironment, wait for Ready,
 * verify by effect.
 */
export async function clbProxyChange(
  clients: AwsClients,
  input: {first: FirstRoundTrip; detected: DetectedLoadBalancer},
  action: 'enable' | 'disable',
  o: ProxyChangeOptions,
): Promise<ProxyChangeResult> {
  const now = o.now ?? new Date()
  const say = o.progress ?? (() => {})
  const port = o.instancePort
  const observed = await observeEnvironment(clients, o.environmentName, {first: input.first})
  const env = observed.environment
  const toElb = o.applyTo !== 'environment'
  const toEnv = o.applyTo !== 'elb'
  const warnings: string[] = []
  let appCheck: AppCheck | undefined

  if (action === 'enable') {
    const found = blockers(observed.state, observed.configured, port, {
      healthCheckTcp: o.healthCheckTcp,
      checkConfigured: toEnv,
      suggestFor: {environmentName: env.environmentName, region: observed.region},
    })
    if (found.length > 0) {
      throw badInput(
        'UNSAFE_CHANGE',
        `Proxy Protocol on instance port ${port} would break traffic, so nothing was changed:\n  ${found.map((b) => b.message).join('\n  ')}`,
        [...new Set(found.flatMap((b) => b.suggestions))],
        {blockers: found},
      )
    }
  }

  const plan =
    action === 'enable'
      ? planEnable(observed.state, port, {healthCheckTcp: o.healthCheckTcp})
      : planDisable(observed.state, port)
  const settings: SettingsChange =
    action === 'enable'
      ? settingsForEnable(observed.configured, port, {healthCheckTcp: o.healthCheckTcp})
      : settingsForDisable(observed.configured, port)
  const elbSteps = toElb ? plan.steps : []
  const settingsToUpdate = toEnv ? settings.set : []
  const optionsToRemove = toEnv ? settings.remove : []
  if (!toEnv && settings.set.length + settings.remove.length > 0) {
    warnings.push(
      `--apply-to elb: the environment's option settings still say Proxy Protocol is ${action === 'enable' ? 'off' : 'on'} for port ${port}, so the next environment update will undo this change (drift). Run again with --apply-to both to make it last.`,
    )
  }
  if (!toElb && plan.steps.length > 0) {
    warnings.push(`--apply-to environment: the live load balancer changes when Beanstalk applies the option settings.`)
  }

  const result = (status: ProxyChangeResult['status'], extra: Partial<ProxyChangeResult> = {}): ProxyChangeResult => ({
    action,
    status,
    region: observed.region,
    environment: env.environmentName,
    loadBalancerName: observed.loadBalancerName,
    instancePort: port,
    elbSteps: planned(elbSteps, (s) => awsCliCommand(observed.loadBalancerName, observed.region, s.op)),
    optionSettingsToUpdate: settingsToUpdate,
    optionSettingsToRemove: optionsToRemove,
    appCheck,
    warnings,
    portAfter: proxyProtocolStatus(observed.state, observed.configured, port)[0]!,
    ...extra,
  })
  const outcome = await changeClb(clients, {
    observed,
    elbSteps,
    settingsToUpdate,
    optionsToRemove,
    check: async () => {
      // The backend must expect the PROXY line before the load balancer sends it.
      if (action === 'enable') {
        if (o.skipAppCheck) {
          warnings.push(
            '--skip-app-check: the deployed app was not checked for an nginx config that reads the PROXY line; if it lacks one, every request fails.',
          )
        } else {
          appCheck = await checkDeployedApp(clients, env, port)
          if (!appCheck.ok) {
            throw badInput(
              'UNSAFE_CHANGE',
              `The deployed app is not ready for Proxy Protocol, so nothing was changed: ${appCheck.reason}.`,
              [
                'Deploy the nginx Proxy Protocol config first (.platform/variants/proxy-protocol/nginx/nginx.conf as .platform/nginx/nginx.conf in the bundle), then enable.',
                'Or pass --skip-app-check if the instances read the PROXY line another way (e.g. the app itself, with ProxyServer: none).',
              ],
              {appCheck},
            )
          }
        }
      }
      if (settingsToUpdate.length > 0)
        for (const w of await validateOptionSettings(clients, env, settingsToUpdate)) warnings.push(w)
    },
    dryRun: o.dryRun,
    // Waits (--wait) or fails with exit 2; after waiting, read and plan again from what is there now.
    beforeConfirm: async () => {
      if (isReady({status: env.status})) return
      await ensureReady(clients, observed, {wait: o.wait, timeoutMs: o.timeoutMs, say})
      return 'replan'
    },
    unmet: (after) => unmetProxy(after, action, port, plan.desired.healthCheck?.target),
    inspectCommand: `ebws proxy-protocol status -e ${env.environmentName}`,
    backupFile: o.backupFile,
    now,
    timeoutMs: o.timeoutMs,
    say,
    confirm: o.confirm && (() => o.confirm!(result('dry-run'))),
  })
  if (outcome.status === 'replan') {
    // Round trip 1 again: the environment may have changed while we waited.
    const first = await firstRoundTrip(clients, o.environmentName)
    return clbProxyChange(clients, {first, detected: detectLoadBalancer(first.environment)}, action, {
      ...o,
      wait: false,
    })
  }
  if (outcome.status !== 'applied') return result(outcome.status)
  const {backupFile} = outcome
  const after = outcome.verified!
  const fresh = await observeEnvironment(clients, env.environmentName).catch(() => undefined)
  return result('applied', {
    backupFile,
    portAfter: proxyProtocolStatus(after, fresh?.configured ?? observed.configured, port)[0]!,
  })
}
