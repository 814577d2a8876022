// GENERATED from src/redirect/forwarded.ts by tsc. Do not edit: run `npm run sync-lib -w sample-app`.
import { isIP } from 'node:net';
/**
 * Where the PROXY reader leaves its result on the socket. A registry symbol, so two copies of this module (the
 * library and the sample app's lib/) agree on it.
 */
export const PROXY_INFO = Symbol.for('ebws.proxyProtocol');
export function proxyInfoOf(req) {
    const info = req.socket?.[PROXY_INFO];
    return info && info.family !== 'UNKNOWN' ? info : undefined;
}
/** One header as a string (repeated headers joined with ", " the way Node joins most of them). */
function header(req, name) {
    const value = req.headers[name];
    if (value === undefined)
        return undefined;
    return Array.isArray(value) ? value.join(', ') : value;
}
/** First element of a comma-separated, multi-proxy header: the hop nearest the client. */
export function firstHop(value) {
    return (value.split(',')[0] ?? '').trim();
}
/**
 * The `proto` parameter of the first element of an RFC 7239 Forwarded header, lowercased; undefined if absent.
 * Elements are comma-separated, pairs semicolon-separated, values may be quoted strings (RFC 7239 section 4).
 */
export function forwardedProto(value) {
    // Split on commas outside quotes, keep the first element only.
    let first = '';
    let quoted = false;
    for (const ch of value) {
        if (ch === '"')
            quoted = !quoted;
        else if (ch === ',' && !quoted)
            break;
        first += ch;
    }
    for (const pair of first.split(';')) {
        const eq = pair.indexOf('=');
        if (eq < 0)
            continue;
        if (pair.slice(0, eq).trim().toLowerCase() !== 'proto')
            continue;
        let v = pair.slice(eq + 1).trim();
        if (v.length >= 2 && v.startsWith('"') && v.endsWith('"'))
            v = v.slice(1, -1).replace(/\\(.)/g, '$1');
        return v.toLowerCase();
    }
    return undefined;
}
const PLAIN = new Set(['http', 'ws']);
/**
 * How the client reached the load balancer.
 *
 * - A PROXY protocol line (CLB TCP listeners with Proxy Protocol) is authoritative: its destination port is the
 *   listener port, 80 for plain HTTP. Headers are ignored then, since over a TCP listener the client writes them.
 * - Otherwise `X-Forwarded-Proto` (added by CLB HTTP/HTTPS listeners) or RFC 7239 `Forwarded: proto=`; with several
 *   proxies, the first (client-side) hop counts. If any of them says http, the request is plain: a forged header can
 *   then only redirect the forger, never make us serve a page over plain HTTP.
 * - No header at all: the request came through an SSL -> TCP listener, which adds nothing, so it was encrypted.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/x-forwarded-headers.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/enable-proxy-protocol.html
 */
export function requestProtocol(req, options = {}) {
    const info = proxyInfoOf(req);
    if (info)
        return (options.plainPorts ?? [80]).includes(info.destinationPort ?? -1) ? 'http' : 'https';
    if (req.socket?.encrypted)
        return 'https';
    const xfp = header(req, 'x-forwarded-proto');
    if (xfp !== undefined && PLAIN.has(firstHop(xfp).toLowerCase()))
        return 'http';
    const fwd = header(req, 'forwarded');
    const proto = fwd === undefined ? undefined : forwardedProto(fwd);
    if (proto !== undefined && PLAIN.has(proto))
        return 'http';
    return 'https';
}
/** Loopback, link-local and private (RFC 1918 / RFC 4193) addresses: where load balancers and local proxies live. */
export function isPrivateAddress(address) {
    const ip = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    if (isIP(ip) === 4) {
        const [a = 0, b = 0] = ip.split('.').map(Number);
        return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
    }
    if (isIP(ip) === 6) {
        const lower = ip.toLowerCase();
        return lower === '::1' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower);
    }
    return false;
}
/**
 * The client's address: the PROXY line's source if there is one; else walk X-Forwarded-For from the right (the
 * entries our own proxies appended) past trusted hops, so a client-written entry on the left is not believed.
 */
export function clientAddress(req, trusted = isPrivateAddress) {
    const info = proxyInfoOf(req);
    if (info?.sourceAddress)
        return info.sourceAddress;
    const peer = req.socket?.remoteAddress;
    if (peer === undefined || !trusted(peer))
        return peer;
    const xff = header(req, 'x-forwarded-for');
    const hops = xff === undefined ? [] : xff.split(',').map((s) => s.trim()).filter((s) => isIP(s) !== 0);
    let last = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
        last = hops[i];
        if (!trusted(last))
            return last;
    }
    return last;
}
