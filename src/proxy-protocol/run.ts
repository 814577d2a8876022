import type {AwsClients} from '../aws/clients.ts'
import {badInput} from '../cli/errors.ts'
import type {OptionSetting} from '../environment/describe.ts'
import {validateOptionSettings} from '../environment/update.ts'
import {isReady} from '../environment/wait.ts'
import {awsCliCommand} from '../elb/apply-plan.ts'
import {applyChanges, ensureReady} from '../listeners/apply-changes.ts'
import {observeEnvironment} from '../listeners/inspect.ts'
import {detectLoadBalancer} from '../lb/detect.ts'
import {firstRoundTrip} from '../lb/first-round-trip.ts'
import {adapterFor} from '../lb/registry.ts'
import type {PlannedStep} from '../listeners/fix.ts'
import type {PlanStep} from '../listeners/plan.ts'
import type {AppCheck} from './app-check.ts'
import {checkDeployedApp} from './app-check.ts'
import type {ApplyTo, PortStatus, SettingsChange} from './plan.ts'
import {
  blockers,
  planDisable,
  unmetProxy,
  planEnable,
  proxyProtocolStatus,
  settingsForDisable,
  settingsForEnable,
} from './plan.ts'

export interface ProxyChangeOptions {
  environmentName: string
  instancePort: number
  applyTo: ApplyTo
  dryRun: boolean
  wait: boolean
  timeoutMs: number
  backupFile?: string | undefined
  /** enable only */
  healthCheckTcp?: boolean
  skipAppCheck?: boolean
  now?: Date
  progress?: (line: string) => void
  /** Asked with the plan before the first write; throws to stop with nothing changed. */
  confirm?: ((plan: ProxyChangeResult) => Promise<void>) | undefined
}

export interface ProxyChangeResult {
  action: 'enable' | 'disable'
  status: 'dry-run' | 'already-in-shape' | 'applied'
  region: string
  environment: string
  loadBalancerName: string
  instancePort: number
  elbSteps: PlannedStep[]
  optionSettingsToUpdate: OptionSetting[]
  optionSettingsToRemove: OptionSetting[]
  appCheck?: AppCheck | undefined
  warnings: string[]
  backupFile?: string | undefined
  /** The port as read back afterwards (or as it is, for dry runs and no-ops). */
  portAfter: PortStatus
}

export interface StatusResult {
  region: string
  environment: string
  loadBalancerName: string
  ports: PortStatus[]
  appCheck?: AppCheck | undefined
}

const planned = (steps: PlanStep[], lb: string, region: string): PlannedStep[] =>
  steps.map((s) => ({
    id: s.id,
    description: s.description,
    command: awsCliCommand(lb, region, s.op),
    dependsOn: s.dependsOn,
  }))

/** `proxy-protocol status`: per instance port, live and configured, with the safety verdict; the deployed bundle's nginx. */
export async function proxyStatus(
  clients: AwsClients,
  o: {environmentName: string; instancePort?: number | undefined; skipAppCheck?: boolean},
): Promise<StatusResult> {
  // Other load balancer types (NLB) answer through their adapter; round trip 1 is shared either way.
  const first = await firstRoundTrip(clients, o.environmentName)
  const detected = detectLoadBalancer(first.environment)
  const adapter = adapterFor(detected.type)
  if (adapter.proxyStatus) return adapter.proxyStatus(clients, {first, detected}, o)
  const observed = await observeEnvironment(clients, o.environmentName, {first})
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
 * `proxy-protocol enable|disable`, in the shape of `listeners fix`: read (two round trips), safety checks (zero writes
 * on failure), plan (pure), validate the option settings, then - unless dry-run - snapshot, apply to the CLB, roll back
 * on failure, write the settings through UpdateEnvironment, wait for Ready, verify by effect.
 */
export async function changeProxyProtocol(
  clients: AwsClients,
  action: 'enable' | 'disable',
  o: ProxyChangeOptions,
): Promise<ProxyChangeResult> {
  const now = o.now ?? new Date()
  const say = o.progress ?? (() => {})
  const port = o.instancePort
  if (action === 'disable' && o.healthCheckTcp) throw badInput('BAD_FLAG', '--health-check applies to enable only.')

  const first = await firstRoundTrip(clients, o.environmentName)
  const detected = detectLoadBalancer(first.environment)
  const adapter = adapterFor(detected.type)
  if (adapter.proxyChange) return adapter.proxyChange(clients, {first, detected}, action, o)
  const observed = await observeEnvironment(clients, o.environmentName, {first})
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
    elbSteps: planned(elbSteps, observed.loadBalancerName, observed.region),
    optionSettingsToUpdate: settingsToUpdate,
    optionSettingsToRemove: optionsToRemove,
    appCheck,
    warnings,
    portAfter: proxyProtocolStatus(observed.state, observed.configured, port)[0]!,
    ...extra,
  })
  if (elbSteps.length === 0 && settingsToUpdate.length === 0 && optionsToRemove.length === 0)
    return result('already-in-shape')

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
  if (o.dryRun) return result('dry-run')
  if (!isReady({status: env.status})) {
    // Waits (--wait) or fails with exit 2; after waiting, read and plan again from what is there now.
    await ensureReady(clients, observed, {wait: o.wait, timeoutMs: o.timeoutMs, say})
    return changeProxyProtocol(clients, action, {...o, wait: false})
  }

  const {backupFile, after} = await applyChanges(clients, {
    observed,
    elbSteps,
    settingsToUpdate,
    optionsToRemove,
    unmet: (after) => unmetProxy(after, action, port, plan.desired.healthCheck?.target),
    inspectCommand: `ebws proxy-protocol status -e ${env.environmentName}`,
    backupFile: o.backupFile,
    now,
    timeoutMs: o.timeoutMs,
    say,
    confirm: o.confirm && (() => o.confirm!(result('dry-run'))),
  })
  const fresh = await observeEnvironment(clients, env.environmentName).catch(() => undefined)
  return result('applied', {
    backupFile,
    portAfter: proxyProtocolStatus(after, fresh?.configured ?? observed.configured, port)[0]!,
  })
}
