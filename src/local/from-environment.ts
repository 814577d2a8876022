import type {AwsClients} from '../aws/clients.ts'
import type {Listener} from '../elb/model.ts'
import {observeEnvironment} from '../listeners/inspect.ts'
import type {LayoutMode} from '../listeners/modes.ts'
import {classifyLayout, proxyProtocolPorts} from '../listeners/verdict.ts'

export interface CopiedLayout {
  environmentName: string
  loadBalancerName: string
  listeners: Listener[]
  proxyProtocolInstancePorts: number[]
  idleTimeoutSeconds?: number | undefined
  /** The known layout the listeners form, if any (for labels; the emulation follows the listeners themselves). */
  mode: LayoutMode | 'none'
}

/** A real environment's CLB listeners, Proxy Protocol ports and idle timeout, to emulate locally. Read-only. */
export async function copyEnvironmentLayout(clients: AwsClients, environmentName: string): Promise<CopiedLayout> {
  const observed = await observeEnvironment(clients, environmentName)
  return {
    environmentName,
    loadBalancerName: observed.loadBalancerName,
    listeners: observed.state.listeners,
    proxyProtocolInstancePorts: proxyProtocolPorts(observed.state),
    idleTimeoutSeconds: observed.state.idleTimeoutSeconds,
    mode: classifyLayout(observed.state),
  }
}
