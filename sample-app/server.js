// Entry point for the Elastic Beanstalk Node.js platform (`npm start`). No build step: lib/ is committed.
import {createApp} from './app.js'
import {applyServerLimits, setLoadBalancerLayout} from './lib/index.js'
import {loadConfig} from './config.js'
import {drain, loadClusterConfig} from './cluster.js'

const config = loadConfig()
if (config.allowedHosts.length === 0) {
  console.warn(
    'ALLOWED_HOSTS is not set: plain-HTTP requests get a 400 instead of a redirect. Set it, e.g. `eb setenv ALLOWED_HOSTS=www.example.com`.',
  )
}
const clusterConfig = loadClusterConfig()
const {server, io, cluster, status} = createApp(config, {clusterConfig})
// Believe only the headers this layout's load balancer sets; time out slow headers, cap connections (README).
setLoadBalancerLayout(server, config.layout)
applyServerLimits(server, config.limits)
server.listen(config.port, config.host, () => {
  const address = server.address()
  console.log(
    `listening on ${typeof address === 'object' && address ? `${address.address}:${address.port}` : config.port}`,
  )
})

// Beanstalk stops the app with SIGTERM on deploys and scale-in: drain, so clients reconnect to another instance
// (cluster.js; with REDIS_URL they recover their session there).
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    drain({server, io, cluster, status, timeoutMs: clusterConfig.drainTimeoutMs}).finally(() => process.exit(0))
    setTimeout(() => process.exit(0), clusterConfig.drainTimeoutMs + 1000).unref()
  })
}
