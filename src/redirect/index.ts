/**
 * HTTP -> HTTPS redirect for apps behind an Elastic Beanstalk Classic Load Balancer, as a dependency-free module:
 * the middleware, HSTS, request protocol/client address helpers and a PROXY protocol v1 reader.
 * tsc's output of this directory is also what sample-app/lib/ holds (see sample-app/scripts/sync-lib.mjs).
 */
export {clientAddress, firstHop, forwardedProto, isPrivateAddress, PROXY_INFO, proxyInfoOf, requestProtocol} from './forwarded.ts'
export type {ProtocolOptions, ProxyInfo, RequestProtocol} from './forwarded.ts'
export {decideRedirect, hostAllowed, hsts, httpsRedirect, normalizeHost, pathAndQuery} from './https-redirect.ts'
export type {HstsOptions, HttpsRedirectOptions, RedirectDecision, RedirectRequest, RedirectResponse} from './https-redirect.ts'
export {acceptProxyProtocol, applyProxyHeaders, MAX_V1_LENGTH, parseProxyV1, ProxyProtocolError, readProxyHeader} from './proxy-protocol.ts'
export type {AcceptOptions, ReadOptions} from './proxy-protocol.ts'
