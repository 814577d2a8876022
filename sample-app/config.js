// Reads the app's settings from the environment (Beanstalk: environment properties; `eb setenv ALLOWED_HOSTS=...`).
import {parseLbLayout} from './lib/index.js'

const list = (value) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
const bool = (value, fallback) => (value === undefined || value === '' ? fallback : /^(1|true|yes|on)$/i.test(value))
const int = (value, fallback) => {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got ${JSON.stringify(value)}`)
  return n
}

export function loadConfig(env = process.env) {
  return {
    // The Beanstalk Node.js platform sets PORT (8080) and points nginx at it.
    port: int(env.PORT, 8080),
    host: env.HOST || undefined,
    // Host names we redirect to and accept browser origins from, e.g. "www.example.com,example.com".
    allowedHosts: list(env.ALLOWED_HOSTS),
    // Port of the load balancer's HTTPS/SSL listener, as users see it.
    httpsPort: int(env.HTTPS_PORT, 443),
    healthCheckPath: env.HEALTH_CHECK_PATH || '/healthz',
    hsts: {
      maxAge: int(env.HSTS_MAX_AGE, 31_536_000),
      includeSubDomains: bool(env.HSTS_INCLUDE_SUBDOMAINS, false),
      preload: bool(env.HSTS_PRELOAD, false),
    },
    // Read PROXY protocol headers (v1 from a CLB, v2 from an NLB) ourselves: only when no nginx sits in front.
    proxyProtocol: bool(env.PROXY_PROTOCOL, false),
    // Which load balancer layout sits in front, so only the headers it sets are believed (README: EBWS_LB_LAYOUT).
    layout: parseLbLayout(env.EBWS_LB_LAYOUT),
    // Keep-alive and header timeouts sized above the load balancer's idle timeout, and a connection cap.
    limits: {idleTimeoutSeconds: int(env.IDLE_TIMEOUT, 60), maxConnections: int(env.MAX_CONNECTIONS, 4096)},
  }
}
