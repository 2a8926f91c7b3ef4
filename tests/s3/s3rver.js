// tests/s3/s3rver.js - start the npm package s3rver (a real S3-compatible
// server, installed by `npm ci` here) on 127.0.0.1 for the s3:// pull cases.
//
//   node s3rver.js PORT_FILE DATA_DIR BUCKET [WATCH_PID]
//
// Writes the port to PORT_FILE (atomically) once listening; exits on SIGTERM
// or when WATCH_PID is gone.  It does not check SigV4 signatures (its V4
// check is unimplemented): tests/emu/s3proxy.py in front of it does.
'use strict';
const fs = require('fs');

const S3rver = require('s3rver');

const [portFile, dir, bucket, watch] = process.argv.slice(2);
// S3RVER_KEY=AKID:SECRET: a key s3rver accepts besides its own (it reads
// only the key id of a V4 signature), for runs that skip the checking proxy
if (process.env.S3RVER_KEY) {
  const [id, secret] = process.env.S3RVER_KEY.split(':');
  require('s3rver/lib/models/account').DUMMY_ACCOUNT.createKeyPair(id, secret);
}
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  configureBuckets: [{ name: bucket }],
});
server.run().then((addr) => {
  const tmp = portFile + '.tmp';
  fs.writeFileSync(tmp, addr.port + '\n');
  fs.renameSync(tmp, portFile);
});
const stop = () => server.close().then(() => process.exit(0), () => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (watch) {
  setInterval(() => {
    try { process.kill(Number(watch), 0); } catch (e) { stop(); }
  }, 1000).unref();
}
// a case that never stops it cannot leave it behind for long
setTimeout(stop, 1800 * 1000).unref();
