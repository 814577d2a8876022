// GENERATED from src/redirect/proxy-protocol.ts by tsc. Do not edit: run `npm run sync-lib -w sample-app`.
import { isIP } from 'node:net';
import { PROXY_INFO } from "./forwarded.js";
/**
 * PROXY protocol v1 reader, for apps that face the load balancer without nginx (Beanstalk `ProxyServer: none`) on a
 * port where the CLB has Proxy Protocol enabled. The CLB sends v1 only, one line per connection:
 * `PROXY TCP4 <client> <load balancer> <client port> <listener port>\r\n`.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/enable-proxy-protocol.html
 * Format: https://www.haproxy.org/download/2.6/doc/proxy-protocol.txt (section 2.1; 107 bytes at most).
 */
export const MAX_V1_LENGTH = 107;
const PREFIX = 'PROXY ';
const V2_SIGNATURE = Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1');
export class ProxyProtocolError extends Error {
    constructor(message) {
        super(message);
        this.name = 'ProxyProtocolError';
    }
}
function port(text) {
    if (!/^(0|[1-9]\d{0,4})$/.test(text) || Number(text) > 65_535)
        throw new ProxyProtocolError(`bad port ${JSON.stringify(text)}`);
    return Number(text);
}
/** Parses one v1 line, with or without its trailing CRLF. Throws ProxyProtocolError on anything malformed. */
export function parseProxyV1(line) {
    const text = line.endsWith('\r\n') ? line.slice(0, -2) : line;
    if (text.length + 2 > MAX_V1_LENGTH)
        throw new ProxyProtocolError('line longer than 107 bytes');
    if (!text.startsWith(PREFIX))
        throw new ProxyProtocolError('missing "PROXY " prefix');
    const parts = text.split(' ');
    if (parts[1] === 'UNKNOWN')
        return { family: 'UNKNOWN' };
    if (parts.length !== 6)
        throw new ProxyProtocolError(`expected 6 fields, got ${parts.length}`);
    const [, family, src, dst, srcPort, dstPort] = parts;
    if (family !== 'TCP4' && family !== 'TCP6')
        throw new ProxyProtocolError(`unknown protocol family ${JSON.stringify(family)}`);
    const version = family === 'TCP4' ? 4 : 6;
    if (isIP(src) !== version || isIP(dst) !== version)
        throw new ProxyProtocolError(`addresses are not ${family}`);
    return { family, sourceAddress: src, destinationAddress: dst, sourcePort: port(srcPort), destinationPort: port(dstPort) };
}
/**
 * Reads the PROXY line off a fresh socket. Resolves with the parsed line and the bytes that followed it (already
 * put back with unshift, the socket left paused); rejects on a malformed line, a timeout or a closed socket.
 */
export function readProxyHeader(socket, options = {}) {
    return new Promise((resolve, reject) => {
        let buffered = Buffer.alloc(0);
        const finish = (err, info, rest) => {
            clearTimeout(timer);
            socket.removeListener('data', onData);
            socket.removeListener('error', onEnd);
            socket.removeListener('end', onEnd);
            socket.removeListener('close', onEnd);
            if (err)
                return reject(err);
            socket.pause();
            if (rest && rest.length > 0)
                socket.unshift(rest);
            resolve(info);
        };
        const onData = (chunk) => {
            buffered = Buffer.concat([buffered, chunk]);
            const head = buffered.subarray(0, PREFIX.length).toString('latin1');
            if (!PREFIX.startsWith(head) && !head.startsWith(PREFIX)) {
                const v2 = buffered.subarray(0, V2_SIGNATURE.length).equals(V2_SIGNATURE);
                return finish(new ProxyProtocolError(v2 ? 'PROXY protocol v2 is not supported (the CLB sends v1)' : 'connection did not start with a PROXY line'));
            }
            const end = buffered.indexOf('\r\n');
            if (end < 0) {
                if (buffered.length >= MAX_V1_LENGTH)
                    finish(new ProxyProtocolError('no CRLF within 107 bytes'));
                return;
            }
            try {
                const info = parseProxyV1(buffered.subarray(0, end + 2).toString('latin1'));
                finish(undefined, info, buffered.subarray(end + 2));
            }
            catch (err) {
                finish(err);
            }
        };
        const onEnd = () => finish(new ProxyProtocolError('connection closed before the PROXY line'));
        const timer = setTimeout(() => finish(new ProxyProtocolError('timed out waiting for the PROXY line')), options.timeoutMs ?? 5000);
        socket.on('data', onData);
        socket.on('error', onEnd);
        socket.on('end', onEnd);
        socket.on('close', onEnd);
    });
}
/** Sets the same request headers nginx's proxy-protocol config sets, overwriting what the client sent. */
export function applyProxyHeaders(req, plainPorts = [80]) {
    const info = req.socket[PROXY_INFO];
    if (!info || info.family === 'UNKNOWN')
        return;
    req.headers['x-forwarded-for'] = info.sourceAddress;
    req.headers['x-forwarded-proto'] = plainPorts.includes(info.destinationPort ?? -1) ? 'http' : 'https';
    req.headers['x-forwarded-port'] = String(info.destinationPort);
    delete req.headers.forwarded;
}
/**
 * Makes an http.Server (or https/net server) require a PROXY v1 line on every connection before its own handling
 * starts. A malformed or missing line closes that connection only. Call it once, after creating the server.
 */
export function acceptProxyProtocol(server, options = {}) {
    const original = server.listeners('connection');
    server.removeAllListeners('connection');
    server.on('connection', (socket) => {
        readProxyHeader(socket, options).then((info) => {
            ;
            socket[PROXY_INFO] = info;
            for (const listener of original)
                listener.call(server, socket);
            // The http parser is attached now; let the bytes that followed the PROXY line flow to it.
            process.nextTick(() => socket.resume());
        }, (err) => {
            options.onError?.(err, socket);
            socket.destroy();
        });
    });
    // prependListener: runs before Socket.io's and Express's handlers, whichever order they were attached in.
    const plainPorts = options.plainPorts ?? [80];
    server.prependListener('request', (req) => applyProxyHeaders(req, plainPorts));
    server.prependListener('upgrade', (req) => applyProxyHeaders(req, plainPorts));
}
