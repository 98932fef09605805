import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { IpcClient } from '../../src/ipc/index.js';
import { RawSocket } from '../helpers/raw-socket.js';
import { liveHome, liveTest } from './harness.js';
import { auditPayloads, auditRows } from './helpers.js';

liveTest('live_daemon_ping_and_intent_over_raw_ipc', async () => {
  const live = liveHome();
  try {
    const daemon = await live.start();
    const client = await IpcClient.connect(daemon.sock);
    const info = await client.protocolInfo();
    assert.equal(info.protocol, 'covenant.ipc');
    const me = await client.authenticate(live.operatorToken());
    assert.equal(me.display, 'user@local');
    assert.deepEqual(await client.request({ kind: 'ping', id: 'p1' }), { kind: 'daemon_ping', status: 'ok', id: 'p1' });
    const intent = await client.request({ kind: 'submit_intent', text: 'live over the socket' });
    assert.equal(intent.kind, 'intent_result');
    // No agent is installed: the intent is answered unrouted (SPEC 12), with how to install one.
    assert.equal(intent.status, 'unrouted');
    assert.match(String(intent.text), /^no agent is installed, so none could take this intent; install one with `covenant agents install <dir>`/);
    client.close();
  } finally {
    await live.dispose();
  }
});

liveTest('live_cli_ping_json', async () => {
  const live = liveHome();
  try {
    await live.start();
    const result = live.cli(['ping', '--json']);
    assert.equal(result.code, 0);
    assert.equal(result.stderr, '');
    assert.deepEqual(result.json, { kind: 'daemon_ping', status: 'ok' });
    const plain = live.cli(['ping']);
    assert.equal(plain.stdout, 'pong\n');
  } finally {
    await live.dispose();
  }
});

liveTest('live_cli_intent_plain', async () => {
  const live = liveHome();
  try {
    await live.start();
    const result = live.cli(['intent', 'what', 'time', 'is', 'it']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^no agent is installed, so none could take this intent; install one with `covenant agents install <dir>`/);
  } finally {
    await live.dispose();
  }
});

liveTest('live_cli_intent_json', async () => {
  const live = liveHome();
  try {
    await live.start();
    const result = live.cli(['intent', '--json', 'list', 'my', 'files']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.ok(result.json);
    assert.equal(result.json.kind, 'intent_result');
    assert.match(String(result.json.intent_id), /^[0-9a-f-]{36}$/);
    for (const field of ['status', 'text', 'sources', 'settlement']) assert.ok(field in result.json, `missing ${field}`);
  } finally {
    await live.dispose();
  }
});

liveTest('live_cli_version_reads_protocol_info_without_token', async () => {
  const live = liveHome();
  try {
    await live.start();
    rmSync(join(live.home, 'peers', 'operator.token'));
    const result = live.cli(['version', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const daemon = result.json?.daemon as { protocol: string; version: number } | null;
    assert.equal(daemon?.protocol, 'covenant.ipc');
    assert.equal(daemon?.version, 1);
    assert.equal(typeof result.json?.cli_version, 'string');
    const ping = live.cli(['ping']);
    assert.equal(ping.code, 1);
    assert.match(ping.stderr, /no operator token at .*operator\.token/);
  } finally {
    await live.dispose();
  }
});

liveTest('live_cli_explains_a_stopped_daemon', async () => {
  const live = liveHome();
  try {
    const result = live.cli(['ping', '--json']);
    assert.equal(result.code, 1);
    assert.equal(result.json?.code, 'E_DAEMON_UNREACHABLE');
    assert.match(String(result.json?.message), /start it with `covenantd`/);
    const usage = live.cli(['ping', '--no-such-flag']);
    assert.equal(usage.code, 2);
  } finally {
    await live.dispose();
  }
});

liveTest('live_unauthenticated_connection_rejected_and_audited', async () => {
  const live = liveHome();
  try {
    const daemon = await live.start();
    const raw = await RawSocket.open(daemon.sock);
    raw.send({ kind: 'submit_intent', text: 'sneaky' });
    await raw.waitClosed();
    assert.deepEqual(raw.frames, [{ kind: 'authentication_failed', reason: 'first frame must be authenticate' }]);
    const wrong = await RawSocket.open(daemon.sock);
    wrong.send({ kind: 'authenticate', token_b58: 'NotTheRealToken1234567890' });
    await wrong.waitClosed();
    const rows = auditPayloads(live.home, 'authentication_failed');
    assert.deepEqual(
      rows.map((r) => [r.transport, r.reason, r.token_prefix]),
      [
        ['ipc', 'first frame must be authenticate', null],
        ['ipc', 'unknown or revoked token', 'NotThe'],
      ],
    );
    assert.equal(live.cli(['ping']).code, 0, 'the daemon keeps serving');
  } finally {
    await live.dispose();
  }
});

liveTest('live_sigkill_restart_keeps_audit_chain_valid', async () => {
  const live = liveHome();
  try {
    const first = await live.start();
    for (let i = 0; i < 5; i += 1) assert.equal(live.cli(['intent', `before kill ${i}`]).code, 0);
    assert.equal(await first.stop('SIGKILL'), null);
    await live.start();
    assert.equal(live.cli(['intent', 'after restart']).code, 0);
    const verify = live.cli(['audit', 'verify', '--json']);
    assert.equal(verify.code, 0, verify.stdout);
    const report = verify.json?.report as { valid: boolean; events: number };
    assert.equal(report.valid, true);
    assert.equal(auditRows(live.home, 'intent_unrouted').length, 6, 'every acknowledged intent survived the kill');
  } finally {
    await live.dispose();
  }
});
