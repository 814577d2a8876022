// GENERATED from src/redirect/index.ts by tsc. Do not edit: run `npm run sync-lib -w sample-app`.
/**
 * HTTP -> HTTPS redirect for apps behind an Elastic Beanstalk Classic Load Balancer, as a dependency-free module:
 * the middleware, HSTS, request protocol/client address helpers and a PROXY protocol v1 reader.
 * tsc's output of this directory is also what sample-app/lib/ holds (see sample-app/scripts/sync-lib.mjs).
 */
export { clientAddress, firstHop, forwardedProto, isPrivateAddress, PROXY_INFO, proxyInfoOf, requestProtocol } from "./forwarded.js";
export { decideRedirect, hostAllowed, hsts, httpsRedirect, normalizeHost, pathAndQuery } from "./https-redirect.js";
export { acceptProxyProtocol, applyProxyHeaders, MAX_V1_LENGTH, parseProxyV1, ProxyProtocolError, readProxyHeader } from "./proxy-protocol.js";
