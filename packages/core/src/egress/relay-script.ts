/**
 * The egress relay's program (Node, run with `node -e` in berth's session image). The relay is
 * the only container on every session's own network besides the session: such a network is
 * internal and its bridge has no address on this machine, so the relay is a session's one way
 * out, and the way in for its previews. It decides nothing; the daemon does.
 *
 *   :3128 on every network  a session's proxy connection: to the daemon's egress listener,
 *                           after one line `BERTH-EGRESS TOKEN LOCAL REMOTE` (LOCAL, the relay's
 *                           own address on the session's network, names the session)
 *   :3130 on every network  a session's agent to berth's key broker, the same way with
 *                           `BERTH-BROKER TOKEN LOCAL REMOTE` (the broker knows the session by
 *                           its placeholder key)
 *   :3129 on the egress     a daemon's dial (a preview): `DIAL TOKEN IP PORT` then the bytes,
 *         network only      to IP:PORT on a session network, never elsewhere
 *
 * Env: BERTH_EGRESS_DAEMON (host:port of the daemon's listener), BERTH_EGRESS_TOKEN.
 */
export const RELAY_SCRIPT = String.raw`
'use strict';
const net = require('net');
const os = require('os');
const [dHost, dPort] = process.env.BERTH_EGRESS_DAEMON.split(':');
const token = process.env.BERTH_EGRESS_TOKEN;
delete process.env.BERTH_EGRESS_TOKEN;

function v4(a) { return a.split('.').reduce((n, o) => n * 256 + Number(o), 0); }
function ownNets() {
  const out = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list || []) {
      if (a.family !== 'IPv4' || a.internal) continue;
      const bits = Number(a.cidr.split('/')[1]);
      const size = 2 ** (32 - bits);
      out.push({ address: a.address, from: Math.floor(v4(a.address) / size) * size, size });
    }
  }
  return out;
}
// The egress network is the one the relay starts on: every other is a session's.
const egress = ownNets()[0];
if (!egress) { console.error('berth relay: no network'); process.exit(1); }
const onEgress = (ip) => v4(ip) >= egress.from && v4(ip) < egress.from + egress.size;
function onSessionNet(ip) {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip) || onEgress(ip)) return false;
  return ownNets().some((n) => n.address !== ip && v4(ip) >= n.from && v4(ip) < n.from + n.size);
}
function join(a, b) {
  // A header line then the client's bytes: without no-delay the second small write waits
  // for the first's ACK, which the far side delays (about 40 ms a request).
  a.setNoDelay(true); b.setNoDelay(true);
  a.on('error', () => b.destroy()); b.on('error', () => a.destroy());
  a.on('close', () => b.destroy()); b.on('close', () => a.destroy());
}

function toDaemon(word) {
  return (c) => {
    c.on('error', () => c.destroy());
    const local = (c.localAddress || '').replace(/^::ffff:/, '');
    const remote = (c.remoteAddress || '').replace(/^::ffff:/, '');
    const d = net.connect(Number(dPort), dHost);
    join(c, d);
    d.write(word + ' ' + token + ' ' + local + ' ' + remote + '\n');
    c.pipe(d).pipe(c);
  };
}
net.createServer(toDaemon('BERTH-EGRESS')).listen(3128, '0.0.0.0');
net.createServer(toDaemon('BERTH-BROKER')).listen(3130, '0.0.0.0');

net.createServer((c) => {
  c.on('error', () => c.destroy());
  let buf = Buffer.alloc(0);
  const onData = (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    const nl = buf.indexOf(10);
    if (nl < 0) { if (buf.length > 256) c.destroy(); return; }
    c.off('data', onData);
    c.pause();
    const [word, t, ip, port] = buf.subarray(0, nl).toString().trim().split(' ');
    if (word !== 'DIAL' || t !== token || !onSessionNet(ip) || !(Number(port) > 0 && Number(port) < 65536)) {
      c.destroy();
      return;
    }
    const u = net.connect(Number(port), ip);
    join(c, u);
    u.once('connect', () => {
      const rest = buf.subarray(nl + 1);
      if (rest.length) u.write(rest);
      c.pipe(u).pipe(c);
      c.resume();
    });
  };
  c.on('data', onData);
}).listen(3129, egress.address);
`;
