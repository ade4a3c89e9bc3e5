import type { Socket } from 'node:net';
import type { Dispatch } from '@berth/api/node';
import type { FastifyInstance, FastifyRequest, HTTPMethods } from 'fastify';
import inject from 'light-my-request';
import { isLocal, LOCAL_SOCKET } from '../auth/auth.js';

/**
 * A `Dispatch` that hands each API call of the MCP tools to this same server's routes, as the
 * caller of `/mcp`: with the caller's bearer token and Host (checked again by the auth hook, so
 * a revoked token stops working mid-session), or on a connection marked local when the caller
 * came through the unix socket. Access rules, validation and the audit trail apply as to any client.
 */
export function dispatchAs(app: FastifyInstance, caller: FastifyRequest): Dispatch {
  const local = isLocal(caller);
  const credentials: Record<string, string> = {};
  if (!local) {
    if (caller.headers.authorization) credentials.authorization = caller.headers.authorization;
    if (caller.headers.host) credentials.host = caller.headers.host;
  }
  return async (r) => {
    const res = await inject(
      (req, res) => {
        if (local) (req.socket as Socket & { [LOCAL_SOCKET]?: boolean })[LOCAL_SOCKET] = true;
        app.routing(req, res);
      },
      {
        method: r.method as HTTPMethods,
        url: r.path,
        headers: { ...r.headers, ...credentials },
        remoteAddress: caller.ip,
        payloadAsStream: true,
        ...(r.body ? { payload: r.body } : {}),
      },
    );
    return { status: res.statusCode, headers: res.headers, body: res.stream() };
  };
}
