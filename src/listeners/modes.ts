import type {Listener} from '../elb/model.ts'

/**
 * The listener layouts ebws knows, as the target state of a Classic Load Balancer.
 *
 * - websocket: SSL 443 -> TCP 80 (TLS ends at the CLB, WebSocket upgrades pass through untouched, no
 *   X-Forwarded-* headers) + HTTP 80 -> HTTP 80 (the CLB adds X-Forwarded-Proto: http, so the app can redirect).
 * - http: HTTPS 443 -> HTTP 80 + HTTP 80 -> HTTP 80. Every request carries X-Forwarded-Proto, but CLB HTTP/HTTPS
 *   listeners do not pass WebSocket upgrades, so Socket.io falls back to long-polling.
 * - proxy: SSL 443 -> TCP 80 + TCP 80 -> TCP 80 with Proxy Protocol on the instance port: the PROXY line's
 *   destination port tells HTTPS (443) from HTTP (80).
 *
 * CLB listener protocols and X-Forwarded headers:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/elb-listener-config.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/x-forwarded-headers.html
 */
export const LAYOUT_MODES = ['websocket', 'http', 'proxy'] as const
export type LayoutMode = (typeof LAYOUT_MODES)[number]

export interface LayoutPorts {
  httpsPort: number
  httpPort: number
  instancePort: number
}

export const DEFAULT_PORTS: LayoutPorts = {httpsPort: 443, httpPort: 80, instancePort: 80}

/** The two listeners a mode wants (secure first). Policies are not part of the listener shape here. */
export function targetListeners(
  mode: LayoutMode,
  ports: LayoutPorts = DEFAULT_PORTS,
  certificateArn?: string,
): Listener[] {
  const secure: Listener = {
    loadBalancerPort: ports.httpsPort,
    protocol: mode === 'http' ? 'HTTPS' : 'SSL',
    instancePort: ports.instancePort,
    instanceProtocol: mode === 'http' ? 'HTTP' : 'TCP',
    sslCertificateId: certificateArn,
    policyNames: [],
  }
  const plain: Listener = {
    loadBalancerPort: ports.httpPort,
    protocol: mode === 'proxy' ? 'TCP' : 'HTTP',
    instancePort: ports.instancePort,
    instanceProtocol: mode === 'proxy' ? 'TCP' : 'HTTP',
    policyNames: [],
  }
  return [secure, plain]
}

/** Whether the mode needs Proxy Protocol enabled on the instance port. */
export const usesProxyProtocol = (mode: LayoutMode): boolean => mode === 'proxy'
