/**
 * HTTP -> HTTPS redirect for apps behind an Elastic Beanstalk load balancer, as a dependency-free module: the
 * middleware, HSTS, request protocol/client address helpers that believe only what the load balancer sets, a PROXY
 * protocol v1/v2 reader and server limits sized for the load balancer's idle timeout.
 * tsc's output of this directory is also what sample-app/lib/ holds (see sample-app/scripts/sync-lib.mjs).
 */
export {
  clientAddress,
  DEFAULT_LB_LAYOUT,
  LB_LAYOUT,
  LB_LAYOUTS,
  lastHop,
  layoutOf,
  parseLbLayout,
  PROXY_INFO,
  proxyInfoOf,
  requestProtocol,
  setLoadBalancerLayout,
} from './forwarded.ts'
export type {LbLayout, ProtocolOptions, ProxyInfo, RequestProtocol, TrustOptions} from './forwarded.ts'
export {decideRedirect, hostAllowed, hsts, httpsRedirect, normalizeHost, pathAndQuery} from './https-redirect.ts'
export type {
  HstsOptions,
  HttpsRedirectOptions,
  RedirectDecision,
  RedirectRequest,
  RedirectResponse,
} from './https-redirect.ts'
export {
  acceptProxyProtocol,
  applyProxyHeaders,
  MAX_V1_LENGTH,
  MAX_V2_LENGTH,
  parseProxyV1,
  parseProxyV2,
  ProxyProtocolError,
  readProxyHeader,
  V2_SIGNATURE,
  v2HeaderLength,
} from './proxy-protocol.ts'
export type {AcceptOptions, ReadOptions} from './proxy-protocol.ts'
export {applyServerLimits, serverLimits} from './server-limits.ts'
export type {ServerLimits} from './server-limits.ts'
