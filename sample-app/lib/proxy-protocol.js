// GENERATED from src/redirect/proxy-protocol.ts by tsc. Do not edit: run `npm run sync-lib -w sample-app`.
import { Server as HttpServer } from 'node:http';
import { isIP } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { PROXY_INFO } from "./forwarded.js";
/**
 * PROXY protocol reader, for apps that face the load balancer without nginx (Beanstalk `ProxyServer: none`) on a
 * port where the load balancer sends a PROXY header first:
 * - v1, a text line (the CLB sends only this): `PROXY TCP4 <client> <load balancer> <client port> <listener port>\r\n`.
 *   https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/enable-proxy-protocol.html
 * - v2, a binary block (an NLB target group with `proxy_protocol_v2.enabled`).
 *   https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html#proxy-protocol
 * Format: https://www.haproxy.org/download/2.6/doc/proxy-protocol.txt (v1: section 2.1, 107 bytes at most; v2:
 * section 2.2). Both are accepted on the same port, told apart by the first byte, as the spec describes.
 */
export const MAX_V1_LENGTH = 107;
/**
 * The largest v2 header we buffer (16 fixed bytes + addresses + TLVs). The protocol allows 16 + 65535; an NLB sends
 * the 36-byte IPv6 block and a few short TLVs (e.g. the VPC endpoint ID), HAProxy a few hundred bytes at most.
 */
export const MAX_V2_LENGTH = 2048;
const PREFIX = 'PROXY ';
const PREFIX_BYTES = Buffer.from(PREFIX, 'latin1');
export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** Address block length per v2 address family (UNSPEC, INET, INET6, UNIX). */
const V2_ADDRESS_LENGTH = [0, 12, 36, 216];
export class ProxyProtocolError extends Error {
    constructor(message) {
        super(message);
        this.name = 'ProxyProtocolError';
    }
}
/** A decimal port 0-65535 without leading zeros, parsed by hand: this runs once per connection. */
function port(text) {
    let value = 0;
    const ok = text.length > 0 && text.length <= 5 && (text.length === 1 || text.charCodeAt(0) !== 48);
    for (let i = 0; ok && i < text.length; i++) {
        const d = text.charCodeAt(i) - 48;
        if (d < 0 || d > 9)
            return badPort(text);
        value = value * 10 + d;
    }
    return ok && value <= 65_535 ? value : badPort(text);
}
function badPort(text) {
    throw new ProxyProtocolError(`bad port ${JSON.stringify(text)}`);
}
/** Dotted-quad IPv4 (no leading zeros), as net.isIP accepts it, without its regular expression. */
function isIPv4(text) {
    let octets = 0;
    let start = 0;
    for (let i = 0; i <= text.length; i++) {
        if (i < text.length && text.charCodeAt(i) !== 46)
            continue;
        const len = i - start;
        if (len < 1 || len > 3 || (len > 1 && text.charCodeAt(start) === 48))
            return false;
        let v = 0;
        for (let j = start; j < i; j++) {
            const d = text.charCodeAt(j) - 48;
            if (d < 0 || d > 9)
                return false;
            v = v * 10 + d;
        }
        if (v > 255)
            return false;
        octets++;
        start = i + 1;
    }
    return octets === 4;
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
    const valid = version === 4 ? isIPv4(src) && isIPv4(dst) : isIP(src) === 6 && isIP(dst) === 6;
    if (!valid)
        throw new ProxyProtocolError(`addresses are not ${family}`);
    return {
        family,
        sourceAddress: src,
        destinationAddress: dst,
        sourcePort: port(srcPort),
        destinationPort: port(dstPort),
    };
}
/**
 * How many bytes the v2 header at the start of `data` occupies (16 + its length field), or undefined while fewer
 * than 16 bytes are there. Checks what it can as soon as the bytes are there (signature, version, command, family,
 * the length cap), so a connection that is not v2 fails on its first packet, not at the timeout.
 */
export function v2HeaderLength(data) {
    const n = Math.min(data.length, V2_SIGNATURE.length);
    for (let i = 0; i < n; i++)
        if (data[i] !== V2_SIGNATURE[i])
            throw new ProxyProtocolError('bad PROXY v2 signature');
    if (data.length > 12) {
        const verCmd = data[12];
        if (verCmd >> 4 !== 2)
            throw new ProxyProtocolError(`unsupported PROXY v2 version ${verCmd >> 4}`);
        if ((verCmd & 0x0f) > 1)
            throw new ProxyProtocolError(`unknown PROXY v2 command ${verCmd & 0x0f}`);
    }
    if (data.length > 13) {
        const fam = data[13];
        if (fam >> 4 > 3)
            throw new ProxyProtocolError(`unknown PROXY v2 address family ${fam >> 4}`);
        if ((fam & 0x0f) > 2)
            throw new ProxyProtocolError(`unknown PROXY v2 transport protocol ${fam & 0x0f}`);
    }
    if (data.length < 16)
        return undefined;
    const total = 16 + data.readUInt16BE(14);
    if (total > MAX_V2_LENGTH)
        throw new ProxyProtocolError(`PROXY v2 header of ${total} bytes is over the ${MAX_V2_LENGTH}-byte limit`);
    return total;
}
/** RFC 5952 text of 16 bytes of IPv6 address (as Node prints socket addresses): lowercase, longest zero run as "::". */
function ipv6Text(b, at) {
    if (b.readUInt32BE(at) === 0 &&
        b.readUInt32BE(at + 4) === 0 &&
        b.readUInt16BE(at + 8) === 0 &&
        b.readUInt16BE(at + 10) === 0xffff) {
        return `::ffff:${b[at + 12]}.${b[at + 13]}.${b[at + 14]}.${b[at + 15]}`;
    }
    const groups = [];
    for (let i = 0; i < 8; i++)
        groups.push(b.readUInt16BE(at + 2 * i));
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8;) {
        if (groups[i] !== 0) {
            i++;
            continue;
        }
        let j = i;
        while (j < 8 && groups[j] === 0)
            j++;
        if (j - i > bestLen)
            [best, bestLen] = [i, j - i];
        i = j;
    }
    const hex = (from, to) => groups
        .slice(from, to)
        .map((g) => g.toString(16))
        .join(':');
    return best < 0 ? hex(0, 8) : `${hex(0, best)}::${hex(best + bestLen, 8)}`;
}
/**
 * Parses one complete v2 header (`header.length` at least 16 + its length field; bytes beyond are ignored). Throws
 * ProxyProtocolError on anything malformed. LOCAL (the proxy's own connection, e.g. a health check) and the families
 * that carry no TCP client (UNSPEC, UNIX, UDP) give family UNKNOWN: the socket's own addresses count, as the spec
 * says. TLVs are skipped, each one's length checked against the header's.
 */
export function parseProxyV2(header) {
    const total = v2HeaderLength(header);
    if (total === undefined || header.length < total)
        throw new ProxyProtocolError('truncated PROXY v2 header');
    if ((header[12] & 0x0f) === 0)
        return { family: 'UNKNOWN' };
    const family = header[13] >> 4;
    const addressLength = V2_ADDRESS_LENGTH[family];
    if (total - 16 < addressLength) {
        throw new ProxyProtocolError(`PROXY v2 address block of ${total - 16} bytes, ${addressLength} needed for family ${family}`);
    }
    for (let at = 16 + addressLength; at < total;) {
        if (at + 3 > total)
            throw new ProxyProtocolError('PROXY v2 TLV header runs past the end of the header');
        at += 3 + header.readUInt16BE(at + 1);
        if (at > total)
            throw new ProxyProtocolError('PROXY v2 TLV value runs past the end of the header');
    }
    if ((header[13] & 0x0f) !== 1 || (family !== 1 && family !== 2))
        return { family: 'UNKNOWN' };
    if (family === 1) {
        return {
            family: 'TCP4',
            sourceAddress: `${header[16]}.${header[17]}.${header[18]}.${header[19]}`,
            destinationAddress: `${header[20]}.${header[21]}.${header[22]}.${header[23]}`,
            sourcePort: header.readUInt16BE(24),
            destinationPort: header.readUInt16BE(26),
        };
    }
    return {
        family: 'TCP6',
        sourceAddress: ipv6Text(header, 16),
        destinationAddress: ipv6Text(header, 32),
        sourcePort: header.readUInt16BE(48),
        destinationPort: header.readUInt16BE(50),
    };
}
// One sweeper for every socket still owing its PROXY header, instead of a timer per connection: on the hot path a
// connection costs a Map insert and delete (the per-connection timer, promise and listener churn of a simpler
// reader cost ~40 µs of server CPU per connection; bench/socketio.ts).
const SWEEP_MS = 100;
const waiting = new Map();
let sweeper;
function sweep() {
    const now = Date.now();
    for (const [socket, w] of waiting) {
        // A half-closed socket (http.Server allows them) can never complete its header. Checked here rather than with an
        // 'end' listener per connection, which would cost every connection on the hot path.
        if (socket.readableEnded)
            w.fail('connection closed before the end of the PROXY header');
        else if (w.deadline <= now)
            w.fail('timed out waiting for the PROXY header');
    }
    if (waiting.size === 0 && sweeper) {
        clearInterval(sweeper);
        sweeper = undefined;
    }
}
/**
 * Takes the PROXY header (v1 line or v2 block) off a fresh socket, then calls `done` synchronously from the socket's
 * 'data' event with the header and the bytes that followed it (the caller delivers them), or with the error
 * (malformed header, timeout, socket closed or failed).
 */
function takeProxyHeader(socket, timeoutMs, done) {
    let buffered;
    const finish = (err, info, rest) => {
        waiting.delete(socket);
        socket.removeListener('data', onData);
        socket.removeListener('error', onEnd);
        socket.removeListener('close', onEnd);
        if (err)
            return done(err);
        done(undefined, info, rest);
    };
    function onData(chunk) {
        const data = buffered ? Buffer.concat([buffered, chunk]) : chunk;
        // v2 starts with CR, v1 with "P": one byte decides (proxy-protocol.txt 2.2, "Identifying the protocol version").
        if (data[0] === 13)
            return onV2(data);
        // As many bytes as we have of "PROXY " must match it (a line may arrive a few bytes at a time).
        for (let i = 0; i < PREFIX_BYTES.length && i < data.length; i++) {
            if (data[i] !== PREFIX_BYTES[i])
                return finish(new ProxyProtocolError('connection did not start with a PROXY header'));
        }
        // The line ends at the first CR, which must be followed by LF (searching for a byte, not a string: no encoding).
        const end = data.indexOf(13);
        if (end < 0 || end + 1 >= data.length) {
            if (data.length >= MAX_V1_LENGTH)
                return finish(new ProxyProtocolError('no CRLF within 107 bytes'));
            buffered = data;
            return;
        }
        if (data[end + 1] !== 10)
            return finish(new ProxyProtocolError('CR not followed by LF'));
        let info;
        try {
            info = parseProxyV1(data.toString('latin1', 0, end));
        }
        catch (err) {
            return finish(err);
        }
        finish(undefined, info, data.subarray(end + 2));
    }
    function onV2(data) {
        let info;
        let total;
        try {
            total = v2HeaderLength(data);
            if (total === undefined || data.length < total) {
                buffered = data;
                return;
            }
            info = parseProxyV2(data);
        }
        catch (err) {
            return finish(err);
        }
        finish(undefined, info, data.subarray(total));
    }
    function onEnd() {
        finish(new ProxyProtocolError('connection closed before the end of the PROXY header'));
    }
    waiting.set(socket, { deadline: Date.now() + timeoutMs, fail: (reason) => finish(new ProxyProtocolError(reason)) });
    sweeper ??= setInterval(sweep, SWEEP_MS).unref();
    socket.on('data', onData);
    // 'close' follows every error; 'error' also needs a listener of its own, or it would be thrown.
    socket.on('error', onEnd);
    socket.on('close', onEnd);
}
/**
 * Reads the PROXY header off a fresh socket. Resolves with the parsed header and the bytes that followed it (already
 * put back with unshift, the socket left paused); rejects on a malformed header, a timeout or a closed socket.
 */
export function readProxyHeader(socket, options = {}) {
    return new Promise((resolve, reject) => takeProxyHeader(socket, options.timeoutMs ?? 5000, (err, info, rest) => {
        if (err)
            return reject(err);
        socket.pause();
        if (rest && rest.length > 0)
            socket.unshift(rest);
        resolve(info);
    }));
}
/** Sets the same request headers nginx's proxy-protocol config sets, overwriting what the client sent. */
export function applyProxyHeaders(req, plainPorts = [80]) {
    const info = req.socket[PROXY_INFO];
    if (!info)
        return;
    if (info.family === 'UNKNOWN') {
        // No client address to put there, and what the client wrote is not the load balancer's: drop it.
        delete req.headers['x-forwarded-for'];
        delete req.headers['x-forwarded-proto'];
        delete req.headers['x-forwarded-port'];
        delete req.headers.forwarded;
        return;
    }
    req.headers['x-forwarded-for'] = info.sourceAddress;
    req.headers['x-forwarded-proto'] = plainPorts.includes(info.destinationPort ?? -1) ? 'http' : 'https';
    req.headers['x-forwarded-port'] = String(info.destinationPort);
    delete req.headers.forwarded;
}
/**
 * Makes an http.Server (or a net.Server) require a PROXY header (v1 or v2) on every connection before its own
 * handling starts. A malformed or missing header closes that connection only. Call it once, after creating the server.
 * Not for TLS servers (https.Server, tls.Server): Node's TLS reads the socket's handle directly and would never see
 * the ClientHello bytes that arrive with the PROXY line. The CLB ends TLS itself (SSL -> TCP), so the app's port is
 * plain; with an SSL backend, let nginx read the PROXY line.
 */
export function acceptProxyProtocol(server, options = {}) {
    if (server instanceof TlsServer) {
        throw new TypeError('acceptProxyProtocol does not support TLS servers: use an SSL -> TCP listener (TLS ends at the load balancer) or nginx with proxy_protocol.');
    }
    const original = server.listeners('connection');
    server.removeAllListeners('connection');
    const timeoutMs = options.timeoutMs ?? 5000;
    // A plain http.Server reads requests in its 'data' listener (or straight from the socket's handle), so the
    // request bytes that came with the PROXY header can be handed to it as a 'data' event: cheaper than pause + unshift +
    // resume (~8 µs of ~40 µs per connection). A net.Server's own handler may read the socket any way: unshift.
    const handsDataToListeners = server instanceof HttpServer;
    server.on('connection', (socket) => {
        takeProxyHeader(socket, timeoutMs, (err, info, rest) => {
            if (err) {
                options.onError?.(err, socket);
                socket.destroy();
                return;
            }
            ;
            socket[PROXY_INFO] = info;
            if (handsDataToListeners) {
                for (const listener of original)
                    listener.call(server, socket);
                if (rest && rest.length > 0)
                    socket.emit('data', rest);
                return;
            }
            socket.pause();
            if (rest && rest.length > 0)
                socket.unshift(rest);
            for (const listener of original)
                listener.call(server, socket);
            socket.resume();
        });
    });
    // prependListener: runs before Socket.io's and Express's handlers, whichever order they were attached in.
    const plainPorts = options.plainPorts ?? [80];
    server.prependListener('request', (req) => applyProxyHeaders(req, plainPorts));
    server.prependListener('upgrade', (req) => applyProxyHeaders(req, plainPorts));
}
