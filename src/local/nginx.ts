import {copyFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {PACKAGE_ROOT} from '../package-root.ts'

/** The repository's (and the npm package's) .platform directory. */
export const PLATFORM_DIR = join(PACKAGE_ROOT, '.platform')

export type NginxVariant = 'default' | 'proxy-protocol'

/**
 * The nginx files ebws ships, by bundle path, for a layout: what the bundle step copies into an app's source bundle.
 * The proxy-protocol variant adds a full nginx.conf (Proxy Protocol is a `listen` option of the default server).
 */
export function shippedNginxFiles(variant: NginxVariant): {source: string; bundlePath: string}[] {
  const files = [
    {source: join(PLATFORM_DIR, 'nginx/conf.d/ebws.conf'), bundlePath: '.platform/nginx/conf.d/ebws.conf'},
    {
      source: join(PLATFORM_DIR, 'nginx/conf.d/elasticbeanstalk/00_application.conf'),
      bundlePath: '.platform/nginx/conf.d/elasticbeanstalk/00_application.conf',
    },
  ]
  if (variant === 'proxy-protocol') {
    files.push({
      source: join(PLATFORM_DIR, 'variants/proxy-protocol/nginx/nginx.conf'),
      bundlePath: '.platform/nginx/nginx.conf',
    })
  }
  return files
}

/**
 * The Amazon Linux 2/2023 platform's default nginx.conf, as far as layout goes: conf.d/*.conf in the http block
 * (after which the platform defines $connection_upgrade itself), conf.d/elasticbeanstalk/*.conf inside the one
 * server on port 80. Used to run the shipped files the way the platform includes them.
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/platforms-linux-extend.proxy.html
 */
const PLATFORM_DEFAULT_NGINX_CONF = `# Mirror of the Elastic Beanstalk AL2/AL2023 default nginx.conf (layout and includes).
user                    nginx;
error_log               /var/log/nginx/error.log warn;
pid                     /var/run/nginx.pid;
worker_processes        auto;
worker_rlimit_nofile    200000;

events {
    worker_connections  1024;
}

http {
    server_tokens off;

    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    include       conf.d/*.conf;

    map $http_upgrade $connection_upgrade {
        default     "upgrade";
    }

    server {
        listen        80 default_server;
        access_log    /var/log/nginx/access.log main;

        client_header_timeout 60;
        client_body_timeout   60;
        keepalive_timeout     60;
        gzip                  off;

        # Include the Elastic Beanstalk generated locations
        include conf.d/elasticbeanstalk/*.conf;
    }
}
`

export interface LocalNginxOptions {
  variant: NginxVariant
  /** Directory to build the nginx prefix in (created). */
  prefix: string
  /** Local port standing in for instance port 80. */
  listenPort: number
  /** Where the app listens (stands in for the platform's 127.0.0.1:8080). */
  appPort: number
  /** Local port standing in for the proxy-protocol variant's health-check port 81. */
  healthPort?: number
}

/** Replaces `from` with `to`, failing when `from` does not occur: a shipped file changed under our rewrite. */
function rewrite(text: string, from: RegExp, to: string, file: string): string {
  if (!from.test(text)) throw new Error(`${file}: expected to find ${from} to adapt it for a local run`)
  return text.replace(new RegExp(from.source, from.flags.includes('g') ? from.flags : `${from.flags}g`), to)
}

/**
 * Builds an nginx prefix that runs the shipped .platform/nginx files with real nginx on this machine, unprivileged:
 * same nginx.conf layout and includes as the platform, only ports, paths and the user adapted. Returns the path of
 * nginx.conf; run `nginx -p <prefix> -c <conf> -e <prefix>/logs/error.log`.
 */
export function buildLocalNginx(options: LocalNginxOptions): {conf: string; errorLog: string} {
  const {prefix} = options
  for (const dir of ['conf.d/elasticbeanstalk', 'logs', 'tmp']) mkdirSync(join(prefix, dir), {recursive: true})
  const mainSource =
    options.variant === 'proxy-protocol'
      ? join(PLATFORM_DIR, 'variants/proxy-protocol/nginx/nginx.conf')
      : '(platform default)'
  let main = options.variant === 'proxy-protocol' ? readFileSync(mainSource, 'utf8') : PLATFORM_DEFAULT_NGINX_CONF
  main = rewrite(main, /^user\s+nginx;$/m, '# user: not switched for a local, unprivileged run', mainSource)
  // Relative paths resolve against `-p prefix`, so a prefix with spaces in it needs no quoting in the config.
  main = rewrite(main, /\/var\/log\/nginx\//, 'logs/', mainSource)
  main = rewrite(main, /\/var\/run\/nginx\.pid/, 'nginx.pid', mainSource)
  main = rewrite(main, /\/etc\/nginx\/mime\.types/, 'mime.types', mainSource)
  main = rewrite(main, /^worker_processes\s+auto;$/m, 'worker_processes 1;', mainSource)
  main = rewrite(main, /^worker_rlimit_nofile\s+\d+;$/m, 'worker_rlimit_nofile 8192;', mainSource)
  main = rewrite(main, /^\s*listen\s+80 /m, `        listen        127.0.0.1:${options.listenPort} `, mainSource)
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `    ${t}_temp_path tmp/${t};`)
    .join('\n')
  main = rewrite(main, /^http \{$/m, `http {\n${temp}`, mainSource)
  if (options.variant === 'proxy-protocol') {
    main = rewrite(
      main,
      /listen\s+81;/,
      `listen        127.0.0.1:${options.healthPort ?? options.listenPort + 1};`,
      mainSource,
    )
    main = rewrite(main, /http:\/\/127\.0\.0\.1:8080/, `http://127.0.0.1:${options.appPort}`, mainSource)
  }
  const conf = join(prefix, 'nginx.conf')
  writeFileSync(conf, main)
  writeFileSync(
    join(prefix, 'mime.types'),
    'types {\n    text/html html;\n    text/css css;\n    application/javascript js;\n}\n',
  )
  copyFileSync(join(PLATFORM_DIR, 'nginx/conf.d/ebws.conf'), join(prefix, 'conf.d/ebws.conf'))
  const appSource = join(PLATFORM_DIR, 'nginx/conf.d/elasticbeanstalk/00_application.conf')
  const app = rewrite(
    readFileSync(appSource, 'utf8'),
    /http:\/\/127\.0\.0\.1:8080/,
    `http://127.0.0.1:${options.appPort}`,
    appSource,
  )
  writeFileSync(join(prefix, 'conf.d/elasticbeanstalk/00_application.conf'), app)
  return {conf, errorLog: join(prefix, 'logs/error.log')}
}

/** Arguments for running nginx on a prefix built by buildLocalNginx (foreground; add '-t' to only test). */
export function nginxArgs(prefix: string, extra: string[] = []): string[] {
  return ['-p', `${prefix}/`, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'logs/error.log'), ...extra]
}
