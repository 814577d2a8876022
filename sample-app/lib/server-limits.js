// GENERATED from src/redirect/server-limits.ts by tsc. Do not edit: run `npm run sync-lib -w sample-app`.
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 60;
export const DEFAULT_MAX_CONNECTIONS = 4096;
/** The values applyServerLimits() sets (milliseconds), as a pure function. */
export function serverLimits(limits = {}) {
    const idle = limits.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS;
    if (!Number.isInteger(idle) || idle < 1 || idle > 3600)
        throw new RangeError(`idle timeout must be 1-3600 seconds (the load balancer's range), got ${idle}`);
    const maxConnections = limits.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (!Number.isInteger(maxConnections) || maxConnections < 1)
        throw new RangeError(`maxConnections must be a positive integer, got ${maxConnections}`);
    const keepAliveTimeout = (idle + 5) * 1000;
    return { keepAliveTimeout, headersTimeout: keepAliveTimeout + 1000, connectionsCheckingInterval: 1000, maxConnections };
}
/**
 * Sets keep-alive and header timeouts above the load balancer's idle timeout, checked every second, and a
 * connection cap. Call before listen(): Node starts its timeout checks when the server starts listening.
 */
export function applyServerLimits(server, limits = {}) {
    if (server.listening)
        throw new Error('applyServerLimits: call it before listen() (Node reads connectionsCheckingInterval then)');
    const values = serverLimits(limits);
    server.keepAliveTimeout = values.keepAliveTimeout;
    server.headersTimeout = values.headersTimeout;
    // Whole-request bound (body included) stays Node's 300 s default unless it would undercut the header bound.
    if (server.requestTimeout > 0 && server.requestTimeout < values.headersTimeout)
        server.requestTimeout = values.headersTimeout;
    const tracked = server;
    tracked.connectionsCheckingInterval = values.connectionsCheckingInterval;
    server.maxConnections = values.maxConnections;
    return values;
}
