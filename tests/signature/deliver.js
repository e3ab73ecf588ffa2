// Sends one signed delivery with PeerTube's cavage signer
// (@peertube/http-signature, installed by the test at a pinned version).
// Usage: node deliver.js URL KEY_ID PRIVATE_KEY_FILE BODY [SENT_BODY]
// SENT_BODY (optional) is sent instead of BODY, with BODY's digest: a
// tampered delivery. Prints the status, then the answer's body.
const http = require('http');
const crypto = require('crypto');
const fs = require('fs');
const httpSignature = require('@peertube/http-signature');

const [url, keyId, keyFile, body, sent] = process.argv.slice(2);
const u = new URL(url);
const digest = 'SHA-256=' + crypto.createHash('sha256').update(body).digest('base64');
const payload = sent === undefined ? body : sent;
const req = http.request({
  host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST',
  headers: {
    'Host': u.host,
    'Date': new Date().toUTCString(),
    'Digest': digest,
    'Content-Type': 'application/activity+json',
    'Content-Length': Buffer.byteLength(payload),
  },
}, (res) => {
  let data = '';
  res.on('data', (c) => { data += c; });
  res.on('end', () => { console.log(res.statusCode); console.log(data); });
});
httpSignature.sign(req, {
  key: fs.readFileSync(keyFile, 'utf8'),
  keyId,
  algorithm: 'rsa-sha256',
  // As PeerTube sends it (lib/helpers/peertube-crypto.ts): a Signature
  // header, not Authorization.
  authorizationHeaderName: 'Signature',
  headers: ['(request-target)', 'host', 'date', 'digest'],
});
req.on('error', (e) => { console.log('0'); console.log(String(e)); });
req.end(payload);
