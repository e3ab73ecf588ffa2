// Writes an RSA-2048 key pair: DIR/private.pem, DIR/public.pem.
const crypto = require('crypto');
const fs = require('fs');
const dir = process.argv[2];
const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
fs.writeFileSync(dir + '/private.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }));
fs.writeFileSync(dir + '/public.pem', publicKey.export({ type: 'spki', format: 'pem' }));
